"""The certificate (SPEC §8.5, issue 18) as plain values: what its A4 PDF prints, and what the public
证书查验 shows.

Rules kept here, in one place:
- a certificate exists for a registration 已认定 (recognised, not revoked) with a certificate number; any other
  row of a request is refused with the reason (``certificates_of``);
- the person (name, ID number) and the unit are read from the record kept at submission (``records``), as
  every printed form of the platform; the date is the Beijing date of the recognition (``clock``);
- 证书查验 answers only with ``Verification`` — masked name, unit, 工种, 等级, date, 有效 / 已撤销 (with its
  date) — and with ``None`` for every wrong input alike (unknown number, wrong ID tail, a row never
  recognised, a forged token), so nobody learns which numbers exist.
"""

import io
import re
from dataclasses import dataclass
from datetime import date

import segno
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import certificate_links, clock, exam_documents, records
from admin_app.workflow.states import RecognitionState
from models import Registration, enums

NUMBER_MAX = 40  # characters of a 证书编号 (Registration.certificate_number)
ID_TAIL = 6
_ID_TAIL = re.compile(r"^[0-9]{5}[0-9X]$")
QR_SCALE = 8  # pixels per module of the PNG put into the PDF (printed ~30 mm wide)


@dataclass(frozen=True)
class Certificate:
    """One certificate as printed."""

    registration_id: int
    number: str
    name: str
    id_number: str
    unit: str
    trade: str
    grade: str
    batch_year: int
    senior: bool  # 技师 / 高级技师: 评审委员会评审通过
    recognised_on: date  # Beijing date
    issuer: str
    photo: bytes | None  # JPEG, or None: the frame is left for a pasted photo
    link: str  # the absolute verification link of the QR code
    qr_png: bytes


@dataclass(frozen=True)
class Refused:
    registration_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class Verification:
    """What the public page shows of one certificate: nothing else."""

    masked_name: str
    unit: str
    trade: str
    grade: str
    recognised_on: date
    revoked_on: date | None  # None: 有效

    @property
    def status(self) -> str:
        return RecognitionState.REVOKED.label if self.revoked_on else "有效"


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the first character only."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def beijing_date(moment) -> date | None:
    local = clock.to_beijing(moment)
    return local.date() if local else None


def qr_png(link: str) -> bytes:
    """The QR code of ``link`` as a PNG (error correction M, quiet zone of 4 modules)."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(out, kind="png", scale=QR_SCALE, border=4)
    return out.getvalue()


def refusal(reg: Registration) -> str | None:
    """Why ``reg`` has no certificate to print, or None."""
    if reg.recognition_status == RecognitionState.REVOKED:
        return "该证书已撤销"
    if reg.recognition_status != RecognitionState.RECOGNISED or not reg.certificate_number:
        return "尚未资格认定，没有证书"
    return None


def certificates_of(regs, *, link_key: str, link_of, default_issuer: str):
    """(the certificates of ``regs`` that may be printed, in order; the others with the reason).
    ``link_of(token)`` makes the absolute link of a token; the links' random values are made here when first
    needed (flushed in the caller's transaction)."""
    regs = list(regs)
    kept = records.records_of([r.application for r in regs])
    printable, refused = [], []
    for reg in regs:
        record = kept[reg.application_id]
        reason = refusal(reg)
        if reason:
            refused.append(Refused(reg.id, record.person.name, reason))
            continue
        link = link_of(certificate_links.token_for(link_key, reg.id))
        printable.append(
            Certificate(
                registration_id=reg.id,
                number=reg.certificate_number,
                name=record.person.name,
                id_number=record.person.id_number,
                unit=record.unit.name,
                trade=reg.applied_trade.name,
                grade=enums.grade_label(reg.applied_grade),
                batch_year=reg.batch.year,
                senior=reg.applied_grade in enums.SENIOR_GRADES,
                recognised_on=beijing_date(reg.recognised_at),
                issuer=reg.recognised_by.name if reg.recognised_by else default_issuer,
                photo=exam_documents.photo_jpeg(reg.photo_stored),
                link=link,
                qr_png=qr_png(link),
            )
        )
    return printable, refused


def _verification(reg: Registration | None) -> Verification | None:
    if reg is None or reg.recognition_status not in (RecognitionState.RECOGNISED, RecognitionState.REVOKED):
        return None
    if not reg.certificate_number or reg.recognised_at is None:
        return None
    record = records.records_of([reg.application])[reg.application_id]
    revoked = reg.recognition_status == RecognitionState.REVOKED
    return Verification(
        masked_name=mask_name(record.person.name),
        unit=record.unit.name,
        trade=reg.applied_trade.name,
        grade=enums.grade_label(reg.applied_grade),
        recognised_on=beijing_date(reg.recognised_at),
        revoked_on=(beijing_date(reg.revoked_at) or clock.today()) if revoked else None,
    )


def verify_token(link_key: str, token: str) -> Verification | None:
    """证书查验 from the QR link: the certificate, or None for any token that is not a certificate's."""
    registration_id = certificate_links.registration_id_for(link_key, token)
    return _verification(db.session.get(Registration, registration_id) if registration_id else None)


def normalise(number: str, id_tail: str) -> tuple[str, str] | None:
    """The form's two fields trimmed (full-width spaces too) and the ID tail upper-cased, or None when they
    cannot be a certificate's."""
    number = (number or "").strip().replace("\u3000", "")
    id_tail = (id_tail or "").strip().replace("\u3000", "").upper()
    if not number or len(number) > NUMBER_MAX or not _ID_TAIL.match(id_tail):
        return None
    return number, id_tail


def verify_number(number: str, id_tail: str) -> Verification | None:
    """证书查验 by certificate number + the last 6 characters of the holder's ID number (as kept at
    submission); None for every mismatch alike."""
    given = normalise(number, id_tail)
    if given is None:
        return None
    reg = db.session.scalar(sa.select(Registration).where(Registration.certificate_number == given[0]))
    if reg is None:
        return None
    record = records.records_of([reg.application])[reg.application_id]
    if (record.person.id_number or "").upper()[-ID_TAIL:] != given[1]:
        return None
    return _verification(reg)
