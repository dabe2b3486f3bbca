"""工作日历 (the admin): the days that differ from the weekly rule — public holidays on weekdays, adjusted working
days (调休上班) on weekends — listed by year, added, corrected and deleted. 查分 and 公示 deadlines are counted
on it (``services/working_days.py``); a change applies to every deadline counted afterwards."""

from datetime import date

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from wtforms.validators import DataRequired, Length

from models import CalendarDay, enums
from views.base import SecureModelView

ADMIN_ONLY = frozenset({enums.ADMIN})
WEEKDAYS = "一二三四五六日"


class YearFilter(BaseSQLAFilter):
    """组合查询 年份: the days of one calendar year (an index range on the day)."""

    def __init__(self):
        super().__init__(CalendarDay.day, "年份")

    def apply(self, query, value, alias=None):
        return query.filter(CalendarDay.day.between(date(value, 1, 1), date(value, 12, 31)))

    def clean(self, value):
        year = int(value)
        if not 1900 <= year <= 2100:
            raise ValueError(value)
        return year

    def operation(self):
        return "为"


def _weekday(view, context, model, name):
    return f"星期{WEEKDAYS[model.day.weekday()]}"


class CalendarDayView(SecureModelView):
    """工作日历: admin only (a dictionary, not business data)."""

    read_roles = ADMIN_ONLY
    write_roles = ADMIN_ONLY
    column_list = ["day", "weekday", "working", "note"]
    column_labels = {"day": "日期", "weekday": "星期", "working": "是否上班", "note": "说明"}
    column_formatters = {
        "weekday": _weekday,
        "working": lambda v, c, m, n: "上班（调休）" if m.working else "休息（节假日）",
    }
    column_sortable_list = ["day", "working"]
    column_filters = [YearFilter(), "working"]
    column_default_sort = ("day", False)
    column_descriptions = {"working": "勾选：该日上班（周末调休上班）；不勾选：该日休息（节假日）"}
    form_columns = ["day", "working", "note"]
    form_args = {
        "day": {"validators": [DataRequired("请填写日期")]},
        "note": {"validators": [Length(max=50, message="说明不能超过50字")], "default": ""},
    }
    unique_messages = {"day": "该日期已在工作日历中，请修改原记录"}
    page_size = 50

    def on_model_change(self, form, model, is_created):
        model.note = (model.note or "").strip()
        super().on_model_change(form, model, is_created)
