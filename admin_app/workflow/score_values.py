"""考试成绩 as typed: a score's text parsed (0–100, one decimal), the result from the batch's pass lines, and an
entry's (theory, practice, review, absent, 违纪原因) checked for the person's grade. Plain functions over plain
values (no session); the transitions that write them are in ``workflow.scores``."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from admin_app.services.validators import InvalidInput, normalise_code
from admin_app.workflow.states import ScoreResult
from models import Registration, enums

# 违纪原因: the column's length
MISCONDUCT_REASON = Registration.__table__.c.misconduct_reason.type.length


@dataclass(frozen=True)
class ScoreEntry:
    """One person's scores as typed (text), or 缺考, or 违纪 with its reason (``misconduct`` non-empty)."""

    registration_id: int
    theory: str | None
    practice: str | None
    review: str | None
    absent: bool
    misconduct: str | None = None


def parse_score(text, label: str):
    """0–100 with at most one decimal; blank is None. Raises InvalidInput (Chinese)."""
    raw = normalise_code(text if text is not None else "")
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"{label}应为数字") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise InvalidInput(f"{label}应在0到100之间")
    if value != value.quantize(Decimal("0.1")):
        raise InvalidInput(f"{label}最多保留一位小数")
    return value.quantize(Decimal("0.1"))


def score_outcome(grade, theory, practice, review, absent, batch) -> ScoreResult:
    """合格 / 不合格 / 缺考 from the batch's pass lines (综合评审 only for 技师/高级技师)."""
    if absent:
        return ScoreResult.ABSENT
    passed = theory >= batch.pass_line_theory and practice >= batch.pass_line_practice
    if grade in enums.SENIOR_GRADES:
        passed = passed and review >= batch.pass_line_review
    return ScoreResult.PASS if passed else ScoreResult.FAIL


def misconduct_reason(text) -> str | None:
    """The 违纪原因 as given, stripped (None when blank); raises InvalidInput when longer than the column."""
    reason = (text or "").strip() or None
    if reason and len(reason) > MISCONDUCT_REASON:
        raise InvalidInput(f"违纪原因不能超过{MISCONDUCT_REASON}字")
    return reason


def scores_of(entry: ScoreEntry, grade: int) -> tuple:
    """(theory, practice, review, absent, 违纪原因) of an entry for a person of ``grade``; raises InvalidInput.
    违纪 cancels the scores: any typed with it are not kept."""
    reason = misconduct_reason(entry.misconduct)
    if reason:
        if entry.absent:
            raise InvalidInput("不能同时标记缺考和违纪")
        return None, None, None, False, reason
    senior = grade in enums.SENIOR_GRADES
    theory = parse_score(entry.theory, "业务理论成绩")
    practice = parse_score(entry.practice, "实际操作成绩")
    review = parse_score(entry.review, "综合评审成绩")
    if entry.absent:
        return None, None, None, True, None
    if theory is None or practice is None:
        raise InvalidInput("请填写业务理论和实际操作成绩，或标记缺考")
    if senior and review is None:
        raise InvalidInput("技师、高级技师须填写综合评审成绩")
    if not senior and review is not None:
        raise InvalidInput("初级工、中级工、高级工没有综合评审成绩")
    return theory, practice, review, False, None
