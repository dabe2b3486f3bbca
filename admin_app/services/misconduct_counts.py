"""统计分析's 违纪 count (notice §2(三), §4(三)): a batch's candidates marked 违纪 per 区县 and in all, read from the
registration tally (``score_result`` is one of its keys, kept exact by the triggers of migration 0020), so the
count costs a few tally rows whatever the number of registrations."""

from collections import defaultdict

import sqlalchemy as sa

from admin_app.services import score_visibility
from admin_app.services.statistics import NO_JURISDICTION, Table, tally_scope
from admin_app.workflow.states import ScoreResult
from models import Jurisdiction
from models.statistics import NO_ID


def misconduct_table(session, user, batch_id: int) -> Table:
    """违纪 of the batch in the user's scope: one row per 区县 with any (the office sees every 区县, a bureau its
    own), then 合计 — exact counts from the tally; for units and bureaus only published results count
    (``score_visibility.registration_tally``)."""
    r = score_visibility.registration_tally(user)
    rows = session.execute(
        sa.select(r.jurisdiction_id, sa.func.sum(r.n))
        .where(r.batch_id == batch_id, r.score_result == ScoreResult.MISCONDUCT, tally_scope(user, r))
        .group_by(r.jurisdiction_id)
    ).all()
    counts: dict = defaultdict(int)
    for jurisdiction_id, n in rows:
        if n:
            counts[None if jurisdiction_id == NO_ID else jurisdiction_id] += int(n)
    names = {
        j.id: (j.sort_order, str(j))
        for j in session.scalars(sa.select(Jurisdiction).where(Jurisdiction.id.in_(list(counts) or [0])))
    }
    table = Table(
        "misconduct",
        "违纪",
        ["区县", "违纪人数"],
        ["text", "number"],
        note="市职鉴中心标记违纪的考生（本次考试成绩无效，不得参加下一批次考核）；名单见“违纪通报”。",
    )
    for jurisdiction_id in sorted(counts, key=lambda j: names.get(j, (-1, ""))):
        label = names[jurisdiction_id][1] if jurisdiction_id in names else NO_JURISDICTION
        table.rows.append([label, counts[jurisdiction_id]])
    table.rows.append(["合计", sum(counts.values())])
    return table
