"""The 区县 reviewer uploads 申报材料 for several applications at once from 待我审核 (two PDFs and a ZIP),
reads the result page, and filters the queue by 申报材料. Screenshots in docs/screenshots/bulk-materials-*.png."""

import zipfile
from pathlib import Path

import sqlalchemy as sa

from tests.e2e.test_menus import login
from views.bulk_materials import MaterialFilter

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def waiting_without_materials(live_server, username: str, count: int) -> list[tuple[int, str, str]]:
    """(application id, name, ID number) of applications at the user's step, in scope, without materials."""
    from admin_app.extensions import db
    from admin_app.services.scope import application_condition
    from admin_app.workflow.states import pending
    from models import Application, Material, User, Worker

    with live_server.app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        rows = db.session.execute(
            sa.select(Application.id, Worker.name, Worker.id_number)
            .join(Worker, Worker.id == Application.worker_id)
            .where(
                application_condition(user),
                Application.status == pending(user.role),
                ~sa.exists().where(Material.application_id == Application.id),
                Worker.name != "王技能",  # the application flow test's own person
            )
            .order_by(Application.id)
            .limit(count)
        ).all()
    assert len(rows) == count, rows
    return [tuple(row) for row in rows]


def test_reviewer_uploads_two_pdfs_and_a_zip_at_once(page, live_server, tmp_path):
    (id1, name1, number1), (id2, name2, number2), (id3, name3, number3) = waiting_without_materials(
        live_server, "yuzhong_hr", 3
    )
    first = tmp_path / f"{number1}_{name1}.pdf"
    first.write_bytes(PDF + b"1")
    second = tmp_path / f"{number2.lower()}_{name2}_登记表.pdf"
    second.write_bytes(PDF + b"2")
    archive = tmp_path / "第二批材料.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"扫描件/{number3}_{name3}.pdf", PDF + b"3")
        zf.writestr(f"{number3}_照片说明.txt", "不是PDF")
        zf.writestr("未命名扫描.pdf", PDF + b"4")

    login(page, live_server, "yuzhong_hr")
    page.goto(f"{live_server}/review_queue/")
    page.click("#bulk-materials")
    page.wait_for_load_state("networkidle")
    assert "按文件名中的18位身份证号码" in page.inner_text("#bulk-help").replace("\n", "")
    page.set_input_files("input[name=files]", [str(first), str(second), str(archive)])
    page.click("#bulk-form button[type=submit]")
    page.wait_for_load_state("networkidle")

    summary = page.inner_text("#bulk-summary").replace(" ", "")
    assert (
        "共5个文件" in summary
        and "已上传3个" in summary
        and "未匹配1个" in summary
        and "已拒收1个" in summary
    )
    rows = {
        cells[0]: cells[1:]
        for cells in page.eval_on_selector_all(
            "#bulk-result tr[class^=outcome-]",
            "trs => trs.map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))",
        )
    }
    assert rows[first.name][0] == "已上传" and name1 in rows[first.name][1]
    assert rows[second.name][0] == "已上传" and name2 in rows[second.name][1]
    assert rows[f"第二批材料.zip / {number3}_{name3}.pdf"][0] == "已上传"
    assert rows[f"第二批材料.zip / {number3}_照片说明.txt"][0] == "已拒收"
    assert rows["第二批材料.zip / 未命名扫描.pdf"][0] == "未匹配"
    page.screenshot(path=str(SCREENSHOTS / "bulk-materials-result.png"), full_page=True)

    # The application's details page lists the file; the queue shows 申报材料 有 for it.
    page.click(f"#bulk-result a[href$='id={id1}']")
    page.wait_for_load_state("networkidle")
    assert first.name in page.inner_text("#materials")
    page.goto(f"{live_server}/review_queue/?search={name3}")
    row = page.inner_text("table.model-list tbody tr")
    assert name3 in row and "有" in row.split()
    # 组合查询 申报材料 为 有 / 无: the three just attached are among 有, none of them among 无.
    view = next(v for v in live_server.app.extensions["admin"][0]._views if v.endpoint == "review_queue")
    index = next(i for i, f in enumerate(view._filters) if isinstance(f, MaterialFilter))
    page.goto(f"{live_server}/review_queue/?flt1_{index}=0")
    assert not {name1, name2, name3} & set(page.inner_text("table.model-list").split())
    page.goto(f"{live_server}/review_queue/?flt1_{index}=1&page_size=50")
    listed = page.inner_text("table.model-list")
    assert {name1, name2, name3} <= set(listed.split()) and "无" not in listed.split()
    page.screenshot(path=str(SCREENSHOTS / "bulk-materials-queue.png"), full_page=True)
