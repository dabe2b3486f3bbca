"""The printed documents of the 考场编排 (SPEC §8.3, issue 17 point 2) as plain values: the 准考证 of a
candidate, and per room the 考场签到表 and the 门贴. The views render them to A4 PDFs (``services/pdf.py``).

Rules kept here, in one place:
- a 准考证 is printed only for a candidate with a 准考证号, *arranged* (every exam kind their 考试类别 needs —
  理论和实作 → 理论 and 实作; 仅理论 → 理论; 仅实作 → 实作 — has a seat in a 已发布 session: ``arrangement.seats_of``),
  and with an electronic photo that decodes as a picture — otherwise the reason;
- a room's documents list the seats of a published session only, in seat order, at most the room's capacity;
- who the candidate is (name, ID number, unit) is read from the record kept when the application was submitted
  (``records``), as every printed form of the platform;
- photos are decoded, shrunk to ``PHOTO_PIXELS`` (the 签到表's small frame: ``SHEET_PHOTO_PIXELS``) and re-encoded
  as JPEG before they go into a PDF: a 5 MB upload costs a few kB in the file, and nothing but a picture reaches
  WeasyPrint; a room's photos are decoded on ``PHOTO_WORKERS`` threads (Pillow's decoders release the GIL);
- a room holds at most ``limits.ROOM_SEATS`` seats (the room form refuses more), so its 签到表 is bounded: a full
  room of camera photos is timed by ``bench/sign_in_bench.py``.
"""

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from PIL import Image

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import records, uploads
from admin_app.services.arrangement import SeatInfo, seats_of
from admin_app.services.arrangement_rules import kinds_needed
from admin_app.workflow.states import ArrangementState, ExamKind
from models import Registration, enums
from models.arrangement import ExamRoom, SeatAssignment

PHOTO_PIXELS = (330, 462)  # a 30 × 42 mm photo at ~280 dpi
SHEET_PHOTO_PIXELS = (180, 252)  # the 签到表's 14.5 × 20.3 mm frame at ~300 dpi
PHOTO_WORKERS = 2  # threads decoding one room's photos (the servers have 2 cores)
PHOTO_MAX_SOURCE_PIXELS = 25_000_000  # a stored photo larger than a 25-megapixel camera's is not decoded
TICKETS_PER_PAGE = 2  # A4 portrait, cut in two
NOT_PRINTABLE = "未能打印"


@dataclass(frozen=True)
class Ticket:
    """One 准考证: the candidate as kept at submission, and their sittings in date and time order."""

    registration_id: int
    ticket_number: str
    name: str
    id_number: str
    unit: str
    trade: str
    grade: str
    batch: str
    sittings: tuple[SeatInfo, ...]  # published sessions only
    photo: bytes  # JPEG, ``PHOTO_PIXELS`` at most


@dataclass(frozen=True)
class Refused:
    """A candidate of a 准考证 request who gets none, and why (the 未能打印 page lists them)."""

    registration_id: int
    ticket_number: str
    name: str
    unit: str
    reason: str


@dataclass(frozen=True)
class SheetRow:
    seat: int
    ticket_number: str
    name: str
    id_number: str
    unit: str
    registration_id: int
    photo: bytes | None  # None: no photo or it does not decode (the sheet shows an empty frame)


@dataclass(frozen=True)
class RoomDocuments:
    """What the 签到表 and the 门贴 of one room print."""

    batch: str
    session: str
    kind_label: str
    day: date
    start: time
    end: time
    site: str
    address: str
    room: str
    location: str
    capacity: int
    rows: tuple[SheetRow, ...]  # seat order

    @property
    def ticket_range(self) -> tuple[str, str] | None:
        """The lowest and the highest 准考证号 of the room (numbers of different lengths by length first)."""
        numbers = sorted((r.ticket_number for r in self.rows if r.ticket_number), key=lambda n: (len(n), n))
        return (numbers[0], numbers[-1]) if numbers else None


def not_arranged(reg: Registration, seats: list[SeatInfo]) -> str | None:
    """Why ``reg`` is not arranged yet (the kinds it sits without a seat in a published session, named), or
    None (``arrangement.arranged``)."""
    needed = [kind for kind in ExamKind if kind in kinds_needed(reg.exam_category)]
    published = {s.kind for s in seats if s.published}
    missing = [kind for kind in needed if kind not in published]
    if not missing:
        return None
    what = "、".join(ExamKind.label_of(kind) for kind in missing)
    if {s.kind for s in seats} >= set(missing):
        return f"{what}考场编排尚未发布"
    return f"{what}尚未编排考场"


def photo_jpeg(stored: str | None, pixels: tuple[int, int] = PHOTO_PIXELS, store=None) -> bytes | None:
    """The stored photo decoded and shrunk to ``pixels`` as JPEG, or None: none stored, the file is not
    there, or its bytes are not a picture (the upload checks the first bytes only). A picture of more than
    ``PHOTO_MAX_SOURCE_PIXELS`` is refused before it is decoded (memory stays bounded). ``store``: the app's
    storage, handed in where no app context is (a worker thread)."""
    if not stored:
        return None
    try:
        data = (store or uploads.storage()).read(stored)
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", pixels)  # JPEG: decode at a reduced scale
            if image.width * image.height > PHOTO_MAX_SOURCE_PIXELS:
                return None
            picture = image.convert("RGB")
        picture.thumbnail(pixels)
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=85)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, uploads.StorageFailed):
        return None
    return out.getvalue()


def sheet_photos(stored_names: list[str | None]) -> list[bytes | None]:
    """``photo_jpeg`` of each name at the 签到表's size, in order, read and decoded on ``PHOTO_WORKERS`` threads
    (one photo at a time per thread: memory stays at a few pictures)."""
    store = uploads.storage()
    with ThreadPoolExecutor(max_workers=PHOTO_WORKERS) as pool:
        return list(pool.map(lambda stored: photo_jpeg(stored, SHEET_PHOTO_PIXELS, store), stored_names))


def tickets_of(regs) -> tuple[list[Ticket], list[Refused]]:
    """The 准考证 of each of ``regs`` that may be printed (in this order) and the others with the reason:
    no 准考证号 (fee not confirmed), not arranged (``not_arranged``), no photo or a photo that does not decode."""
    regs = list(regs)
    seats = seats_of(r.id for r in regs)
    kept = records.records_of([r.application for r in regs])
    printable, refused = [], []
    for reg in regs:
        record = kept[reg.application_id]
        sittings = seats.get(reg.id, [])
        reason = "尚未缴费确认，没有准考证号" if not reg.ticket_number else not_arranged(reg, sittings)
        photo = None
        if reason is None:
            photo = photo_jpeg(reg.photo_stored)
            if photo is None:
                reason = "电子照片无法读取，请重新上传" if reg.photo_stored else "没有电子照片，请先上传"
        if reason:
            refused.append(
                Refused(reg.id, reg.ticket_number or "", record.person.name, record.unit.name, reason)
            )
            continue
        printable.append(
            Ticket(
                registration_id=reg.id,
                ticket_number=reg.ticket_number,
                name=record.person.name,
                id_number=record.person.id_number,
                unit=record.unit.name,
                trade=reg.applied_trade.name,
                grade=enums.grade_label(reg.applied_grade),
                batch=str(reg.batch),
                sittings=tuple(s for s in sittings if s.published),
                photo=photo,
            )
        )
    return printable, refused


def room_documents(room: ExamRoom) -> RoomDocuments | str:
    """The 签到表 / 门贴 values of ``room``, or why they cannot be printed (a Chinese sentence): the session's
    arrangement is not published, or the room holds more seats than its capacity or than ``limits.ROOM_SEATS``
    (a room made before that bound; at most one row more than the smaller is read)."""
    session = room.session
    if session.state != ArrangementState.PUBLISHED:
        return "该场次的考场编排尚未发布，发布后才能打印签到表和门贴"
    bound = min(room.capacity, limits.ROOM_SEATS)
    seats = db.session.execute(
        sa.select(SeatAssignment.seat_number, Registration)
        .join(Registration, Registration.id == SeatAssignment.registration_id)
        .where(SeatAssignment.room_id == room.id)
        .order_by(SeatAssignment.seat_number)
        .limit(bound + 1)
    ).all()
    if len(seats) > room.capacity:
        return f"该考场安排的考生超过容量（{room.capacity}人），请先调整编排"
    if len(seats) > limits.ROOM_SEATS:
        return f"一个考场最多{limits.ROOM_SEATS}个座位，该考场安排的考生超过此数，请拆分考场后再打印"
    kept = records.records_of([reg.application for _seat, reg in seats])
    photos = sheet_photos([reg.photo_stored for _seat, reg in seats])
    rows = tuple(
        SheetRow(
            seat=seat,
            ticket_number=reg.ticket_number or "",
            name=kept[reg.application_id].person.name,
            id_number=kept[reg.application_id].person.id_number,
            unit=kept[reg.application_id].unit.name,
            registration_id=reg.id,
            photo=photo,
        )
        for (seat, reg), photo in zip(seats, photos, strict=True)
    )
    return RoomDocuments(
        batch=str(session.batch),
        session=session.name,
        kind_label=session.kind_label,
        day=session.exam_date,
        start=session.start_time,
        end=session.end_time,
        site=session.site,
        address=session.address,
        room=room.label,
        location=room.location,
        capacity=room.capacity,
        rows=rows,
    )
