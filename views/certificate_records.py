"""资格认定 list: 撤销认定 and 证书发放 (issue 18) — their input fields on the confirmation page, the 发放情况
filter, and the columns. The operations themselves come from the workflow table (``workflow/certificates.py``)."""

import sqlalchemy as sa
from flask_admin.contrib.sqla.filters import FilterEqual

from admin_app.services import clock
from admin_app.workflow.states import RecognitionState
from models import Registration

LABELS = {
    "revoked_at": "撤销时间",
    "revoke_reason": "撤销原因",
    "revoke_document": "撤销决定文号",
    "handed_over_on": "发放日期",
    "handover_recipient": "领取人",
}
DETAIL_COLUMNS = ["revoked_at", "revoke_reason", "revoke_document", "handed_over_on", "handover_recipient"]
LIST_COLUMNS = ["handed_over_on", "handover_recipient"]


class HandoverFilter(FilterEqual):
    """发放情况 为 已发放 / 未发放 (未发放: recognised, no handover recorded — the office's 首页 to-do 待发放证书;
    a revoked certificate is neither)."""

    STAGES = (("done", "已发放"), ("waiting", "未发放"))

    def __init__(self):
        super().__init__(Registration.__table__.c.handed_over_on, "发放情况", options=self.STAGES)

    def validate(self, value) -> bool:
        return value in dict(self.STAGES)

    def apply(self, query, value, alias=None):
        recognised = Registration.recognition_status == RecognitionState.RECOGNISED
        conditions = {
            "done": sa.and_(recognised, Registration.handed_over_on.is_not(None)),
            "waiting": sa.and_(recognised, Registration.handed_over_on.is_(None)),
        }
        return query.filter(conditions.get(value, sa.false()))


class CertificateRecordsMixin:
    """The 撤销认定 and 证书发放 inputs of the recognition list's confirmation page."""

    bulk_fields = {
        "revoke_recognition": "gk/_revoke_fields.html",
        "record_handover": "gk/_handover_fields.html",
    }

    def today(self):
        """Today's Beijing date: the 发放日期 offered."""
        return clock.today()
