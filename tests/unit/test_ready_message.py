"""The 站内消息 of a job whose file is ready: one wording (``jobs.ready_message``) for every kind, as users read it."""

from datetime import UTC, datetime
from types import SimpleNamespace

from admin_app.services import jobs
from views import document_jobs, statistics, summary_sheet

EXPIRES = datetime(2026, 12, 10, 4, 30, tzinfo=UTC)  # 12:30 in Beijing
UNTIL = "请在下载中心下载，保留至2026-12-10 12:30"


def job(kind: str, title: str):
    owner = SimpleNamespace(full_name="张三", username="zhangsan")
    return SimpleNamespace(kind=kind, title=title, owner=owner)


def test_each_kind_says_what_is_ready_how_much_and_until_when():
    outcome = jobs.Outcome(rows=12345, name="x")
    assert jobs.KINDS[jobs.EXPORT].ready(job(jobs.EXPORT, "工勤人员"), outcome, EXPIRES) == (
        "导出文件已生成",
        f"张三导出的“工勤人员”（12,345行）已生成，{UNTIL}",
    )
    tickets = document_jobs.TICKETS
    assert jobs.KINDS[tickets.kind].ready(
        job(tickets.kind, "准考证PDF（3人）"), jobs.Outcome(3, "x"), EXPIRES
    ) == (
        "准考证PDF已生成",
        f"“准考证PDF（3人）”已生成（3人），{UNTIL}",
    )
    certificates = document_jobs.CERTIFICATES
    ready = jobs.KINDS[certificates.kind].ready(
        job(certificates.kind, "证书PDF（2份）"), jobs.Outcome(2, "x"), EXPIRES
    )
    assert ready == ("证书PDF已生成", f"“证书PDF（2份）”已生成（2份），{UNTIL}")
    assert jobs.KINDS[statistics.KIND].ready(job(statistics.KIND, "统计分析全部表格"), outcome, EXPIRES) == (
        "统计分析表格已生成",
        f"“统计分析全部表格”已生成，{UNTIL}",
    )
    summary = jobs.KINDS[summary_sheet.KIND].ready(
        job(summary_sheet.KIND, "附表3汇总表"), jobs.Outcome(7, "x"), EXPIRES
    )
    assert summary == ("附表3汇总表已生成", f"“附表3汇总表”已生成（7人），{UNTIL}")


def test_a_kind_without_its_own_wording_says_done():
    assert jobs._default_ready(job("other", "某任务"), jobs.Outcome(1, "x"), EXPIRES) == (
        "后台任务已完成",
        f"“某任务”已完成，{UNTIL}",
    )
    no_file = jobs.Outcome(1, "x", has_file=False)
    assert jobs._default_ready(job("other", "某任务"), no_file, EXPIRES) == (
        "后台任务已完成",
        "“某任务”已完成，请在下载中心查看结果",
    )
