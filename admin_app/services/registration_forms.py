"""附表1 / 附表2 登记表 (the notice's 附件1 and 附件2) as plain values: the cover, the person and unit as kept at
submission (``records.record_of``), the scores, the committee vote, and every opinion row of the notice in its
order, each filled from the real decision or left blank for its stamp and date.

Which data fills which opinion row (the template prints these rows in this order):
- 单位推荐意见: the unit's submission — 有相应空岗 or the 不受岗位限额 reason, the 公示 dates and result; the unit's
  name (as kept) and the submission date.
- 主管部门（审核）意见: the route's 市级主管部门 decision (市委组织部干部一处 / 市人力社保局事业处) when that step is on
  the application's route; otherwise the unit's 主管部门 (as kept) is named and the stamp and date stay blank.
- 区县（自治县）人力社保部门意见: the 区县人力社保局's review decision, when its step is on the route.
- 考核记录: the scores entered (业务理论, 实际操作, 综合评审 for 技师/高级技师; 缺考).
- 鉴定（考核）机构意见: the 市职鉴中心's outcome of the scores (合格 / 不合格 / 缺考) on the date they were entered.
- 附件1 only, the second 区县人社 row: the 区县人力社保局's 资格认定, when it recognised the grade.
- 附件2 only, 评审委员会意见: the committee vote (应到, 实到, 同意, 不同意, 弃权) and its result, on the date decided.
- 市工考办意见: the office's review decision and/or its 资格认定 (the later date).
"""

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from PIL import Image

from admin_app.extensions import db
from admin_app.services import applications as app_facts
from admin_app.services import clock, records, uploads
from admin_app.workflow.states import EvaluationState, RecognitionState, ScorePublication, ScoreResult
from models import Application, Organisation, Registration, enums

COVER_MAKER = "重庆市机关事业单位技术工人技术等级（岗位）考核办公室"
QUOTA_HINT = "（请说明有无相应空岗或不受岗位限额参评的情形）"
DECISION_WORDS = {"approve": "审核通过", "reject": "审核不通过"}
SUPERVISOR_ROLES = (enums.PARTY_ORG, enums.CITY_HR)


@dataclass(frozen=True)
class Opinion:
    """One opinion row: ``text`` None while undecided (the form shows only its stamp and date line)."""

    label: str
    text: str | None = None
    organisation: str | None = None
    day: date | None = None
    stamp: bool = True  # （公章） printed on the line
    hint: str | None = None  # the notice's own words in the cell

    @property
    def decided(self) -> bool:
        return self.text is not None


@dataclass(frozen=True)
class Scores:
    theory: str = ""
    practice: str = ""
    review: str = ""


@dataclass(frozen=True)
class Committee:
    """附件2's 评审委员会意见: the vote and its result (empty until decided)."""

    expected: int | None = None
    present: int | None = None
    yes: int | None = None
    no: int | None = None
    abstain: int | None = None
    result: str | None = None
    day: date | None = None


@dataclass(frozen=True)
class RegistrationForm:
    app: Application
    record: records.Record
    senior: bool  # 附件2 (技师、高级技师) or 附件1
    grade_name: str
    filled_on: date | None  # 填表日期: the submission date; None for a draft
    opinions: tuple[Opinion, ...]  # 单位推荐, 主管部门, 区县人社 (before 考核记录)
    scores: Scores
    center: Opinion  # 鉴定（考核）机构意见
    district_recognition: Opinion | None  # 附件1's second 区县人社 row
    committee: Committee | None  # 附件2
    office: Opinion
    photo: tuple[str, str] | None  # (stored name, content type) of the 报名表's photo

    @property
    def annex(self) -> str:
        return "附件2" if self.senior else "附件1"

    @property
    def form_name(self) -> str:
        return "附表2" if self.senior else "附表1"


def _day(moment: datetime | None) -> date | None:
    local = clock.to_beijing(moment)
    return local.date() if local else None


def _score(value) -> str:
    return "" if value is None else f"{Decimal(value):.1f}"


def _last_decisions(app: Application) -> dict:
    """The last 审核通过/审核不通过 of each reviewing role (a returned round is decided again)."""
    found = {}
    for review in app.reviews:
        if review.action in DECISION_WORDS and review.step_role:
            found[review.step_role] = review
    return found


def _review_opinion(label: str, review) -> Opinion:
    if review is None:
        return Opinion(label)
    text = DECISION_WORDS[review.action] + "。" + (review.opinion or "")
    organisation = review.organisation.name if review.organisation else None
    return Opinion(label, text.rstrip("。") + "。", organisation, _day(review.created_at))


def _unit_opinion(app: Application, record: records.Record) -> Opinion:
    label = "单位推荐意见"
    if app.submitted_at is None:
        return Opinion(label, hint=QUOTA_HINT)
    exemption = app.quota_exempt_reason or app_facts.exemption(app, record=record)
    quota = (
        f"不受岗位限额参评：{enums.QUOTA_EXEMPT_LABELS.get(exemption, exemption)}。"
        if exemption
        else "本单位有相应空岗。"
    )
    publicity = ""
    if app.publicity_start and app.publicity_end:
        result = enums.PUBLICITY_LABELS.get(app.publicity_result or "", "")
        publicity = (
            f"已于{app.publicity_start:%Y年%m月%d日}至{app.publicity_end:%Y年%m月%d日}在本单位公示"
            + (f"，公示结果：{result}" if result else "")
            + "。"
        )
    text = quota + publicity + "同意推荐申报。"
    return Opinion(label, text, record.unit.name, _day(app.submitted_at), hint=QUOTA_HINT)


def _supervisor_opinion(app: Application, record: records.Record, decisions: dict, label: str) -> Opinion:
    for role in SUPERVISOR_ROLES:
        if role in app.route_steps:
            return _review_opinion(label, decisions.get(role))
    # Not a step of this route: the unit's 主管部门 stamps the paper form.
    return Opinion(label, None, record.unit.supervisor)


# 鉴定机构意见 of a result without scores: 缺考, or 违纪 (this exam's scores cancelled)
NO_SCORE_TEXTS = {ScoreResult.ABSENT: "考生缺考。", ScoreResult.MISCONDUCT: "考生违纪，成绩无效。"}


def _center_opinion(reg: Registration | None, center_name: str | None) -> Opinion:
    label = "鉴定（考核）机构意见"
    if reg is None or not reg.score_result:
        return Opinion(label, stamp=False)
    outcome = ScoreResult.labels().get(reg.score_result, reg.score_result)
    text = NO_SCORE_TEXTS.get(reg.score_result) or f"考核成绩{outcome}。"
    return Opinion(label, text, center_name, _day(reg.scores_entered_at), stamp=False)


def _recognition_text(app: Application, reg: Registration) -> str:
    text = f"资格认定：同意认定为{enums.grade_label(app.applied_grade)}"
    if reg.certificate_number:
        text += f"（证书编号：{reg.certificate_number}）"
    return text + "。"


def _recognised_by(reg: Registration | None, kind: str) -> bool:
    return (
        reg is not None
        and reg.recognition_status == RecognitionState.RECOGNISED
        and reg.recognised_by is not None
        and reg.recognised_by.kind == kind
    )


def _office_opinion(app, reg, decisions) -> Opinion:
    label = "市机关事业单位技术工人技术等级（岗位）考核办公室意见"
    review = decisions.get(enums.OFFICE)
    parts, organisation, day = [], None, None
    if review is not None:
        reviewed = _review_opinion(label, review)
        parts.append(reviewed.text)
        organisation, day = reviewed.organisation, reviewed.day
    if _recognised_by(reg, enums.OFFICE):
        parts.append(_recognition_text(app, reg))
        organisation, day = reg.recognised_by.name, _day(reg.recognised_at)
    if not parts:
        return Opinion(label, stamp=False)
    return Opinion(label, "".join(parts), organisation, day, stamp=False)


def _district_recognition(app, reg) -> Opinion:
    label = "区县（自治县）人力资源和社会保障部门意见"
    if not _recognised_by(reg, enums.DISTRICT_HR):
        return Opinion(label, stamp=False)
    return Opinion(
        label, _recognition_text(app, reg), reg.recognised_by.name, _day(reg.recognised_at), stamp=False
    )


def _committee(reg: Registration | None) -> Committee:
    if reg is None or reg.evaluation_status not in (EvaluationState.PASSED, EvaluationState.FAILED):
        return Committee()
    return Committee(
        reg.vote_expected,
        reg.vote_present,
        reg.vote_yes,
        reg.vote_no,
        reg.vote_abstain,
        EvaluationState.labels().get(reg.evaluation_status),
        _day(reg.evaluated_at),
    )


def registration_of(app: Application) -> Registration | None:
    return db.session.scalar(sa.select(Registration).where(Registration.application_id == app.id))


def photo_bytes(form: RegistrationForm) -> bytes | None:
    """The stored photo of the form's 报名表, or None: none uploaded, the file is not there, or its bytes are
    not a picture that can be decoded (the upload checks the type by its first bytes only)."""
    if form.photo is None:
        return None
    try:
        data = uploads.storage().read(form.photo[0])
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (
        OSError,
        SyntaxError,
        ValueError,
        uploads.StorageFailed,
    ):  # FileNotFoundError, UnidentifiedImageError …
        return None
    return data


def forms_of(apps, unpublished_shown: bool = True) -> list[RegistrationForm]:
    """The 登记表 of each of ``apps``, in this order (``form_of``, the 鉴定机构 looked up once)."""
    center = center_name()
    return [form_of(app, center=center, unpublished_shown=unpublished_shown) for app in apps]


def center_name() -> str:
    """The 鉴定（考核）机构: the 市职鉴中心's organisation name (its role label if none is registered)."""
    name = db.session.scalar(
        sa.select(Organisation.name).where(Organisation.kind == enums.CENTER).order_by(Organisation.id)
    )
    return name or enums.ROLE_LABELS[enums.CENTER]


def form_of(
    app: Application,
    reg: Registration | None = None,
    center: str | None = None,
    unpublished_shown: bool = True,
) -> RegistrationForm:
    """The 登记表 of ``app`` as the notice prints it. ``reg`` is the application's registration (looked up when
    not given); ``center`` the 鉴定机构's name (looked up when not given).

    Guarantees: the person and unit are the record kept at the last submission (a draft: the live one), so a
    later recognition never rewrites them; every opinion row of the notice is present, in its order, decided
    rows with the real opinion, organisation and Beijing date, the others blank. Unless
    ``unpublished_shown`` (the centre, the office: ``services.score_visibility``), the rows that follow from
    the exam (考核记录, 鉴定机构意见, 评审委员会, 资格认定) stay blank until the scores are published."""
    if reg is None:
        reg = registration_of(app)
    photo = (reg.photo_stored, reg.photo_content_type) if reg is not None and reg.photo_stored else None
    if reg is not None and not unpublished_shown and reg.score_publication != ScorePublication.PUBLISHED:
        reg = None  # nothing of the exam before publication: the form as before any score
    record = records.record_of(app)
    senior = app.applied_grade in enums.SENIOR_GRADES
    decisions = _last_decisions(app)
    if senior:
        labels = ("主管部门审核意见", "区县（自治县）人力社保部门意见")
    else:
        labels = ("主管部门意见", "区县（自治县）人力资源和社会保障部门意见")
    district = (
        _review_opinion(labels[1], decisions.get(enums.DISTRICT_HR))
        if enums.DISTRICT_HR in app.route_steps
        else Opinion(labels[1])
    )
    scores = Scores()
    if reg is not None and reg.score_result in (ScoreResult.ABSENT, ScoreResult.MISCONDUCT):
        mark = ScoreResult.label_of(reg.score_result)  # 缺考 / 违纪: no scores to print
        scores = Scores(mark, mark, mark if senior else "—")
    elif reg is not None and reg.score_result:
        scores = Scores(
            _score(reg.theory_score),
            _score(reg.practice_score),
            _score(reg.review_score) if senior else "—",
        )
    return RegistrationForm(
        app=app,
        record=record,
        senior=senior,
        grade_name=enums.GRADE_NAMES.get(app.applied_grade, ""),
        filled_on=_day(app.submitted_at),
        opinions=(
            _unit_opinion(app, record),
            _supervisor_opinion(app, record, decisions, labels[0]),
            district,
        ),
        scores=scores,
        center=_center_opinion(reg, center if center is not None else center_name()),
        district_recognition=None if senior else _district_recognition(app, reg),
        committee=_committee(reg) if senior else None,
        office=_office_opinion(app, reg, decisions),
        photo=photo,
    )
