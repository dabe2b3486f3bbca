"""批量上传申报材料: PDFs and ZIPs matched by the ID number in their file names; the 申报材料 column and
condition of 待我审核; 单位提交时上传申报材料 per batch (both databases)."""

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from admin_app import limits, workflow
from admin_app.extensions import db
from admin_app.services import bulk_materials
from admin_app.workflow.states import ApplicationState, BatchState, pending
from models import Application, AuditLog, Material, enums
from tests.conftest import login, text_of
from tests.factories import add_application, add_batch, add_material
from tests.integration.test_applications import PDF, fresh
from views.bulk_materials import MaterialFilter

BULK = "/review_queue/materials/bulk/"


def pending_at_district(world, key, seq):
    """A 渝中区 unit's application submitted to the 渝中区 bureau (区县属: the first step is the 区县)."""
    unit, app = fresh(world, key, enums.CAT_DISTRICT, seq=seq)
    result = workflow.submit(unit.users[0], [app.id])
    assert not result.refused, result.refused
    db.session.refresh(app)
    assert app.status == pending(enums.DISTRICT_HR)
    return app


def seq_with_x(start: int) -> int:
    """A worker sequence number whose (factory-made) ID number ends in X."""
    from datetime import date

    from tests.factories import make_id_number

    for seq in range(start, start + 400):
        if make_id_number("500103", date(1975, 3, 1 + seq % 27), seq).endswith("X"):
            return seq
    raise AssertionError("no X")


def pdf(tag: str) -> bytes:
    return PDF + tag.encode()


def zipped(members: dict, compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def materials_of(app_id) -> list[Material]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Material).where(Material.application_id == app_id)).all()


def rows_of(body: str) -> dict:
    """File name -> (result label, rest of the row's text) from the result table."""
    import re

    table = body.split('id="bulk-result"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr class=\"outcome-\w+\">(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def post(client, files):
    return client.post(BULK, data={"files": files}, content_type="multipart/form-data")


def test_pdfs_are_attached_by_the_id_number_in_their_names(client, world):
    first = pending_at_district(world, "m1", 301)
    second = pending_at_district(world, "m2", seq_with_x(320))
    id1, id2 = first.worker.id_number, second.worker.id_number
    assert id2.endswith("X")
    bad_check = id1[:17] + ("0" if id1[17] != "0" else "1")
    login(client, "yuzhong_hr")
    page = text_of(client.get("/review_queue/"))
    assert "批量上传申报材料" in page and BULK in page
    response = post(
        client,
        [
            (io.BytesIO(pdf("a")), f"{id1}_m1申报人.pdf"),
            (io.BytesIO(pdf("b")), f"申报材料-{id2.lower()}.pdf"),  # lower-case x
            (io.BytesIO(pdf("c")), "说明.pdf"),
            (io.BytesIO(b"just text"), f"{id1}_伪装.pdf"),
            (io.BytesIO(pdf("d")), f"{bad_check}.pdf"),
        ],
    )
    assert response.status_code == 200
    rows = rows_of(response.get_data(as_text=True))
    assert rows[f"{id1}_m1申报人.pdf"][0] == "已上传" and "m1申报人" in rows[f"{id1}_m1申报人.pdf"][1]
    assert rows[f"申报材料-{id2.lower()}.pdf"][0] == "已上传"
    assert rows["说明.pdf"][0] == "未匹配" and "没有18位身份证号码" in rows["说明.pdf"][3]
    assert rows[f"{id1}_伪装.pdf"][0] == "已拒收" and "文件类型不符" in rows[f"{id1}_伪装.pdf"][3]
    assert rows[f"{bad_check}.pdf"][0] == "未匹配" and "校验位" in rows[f"{bad_check}.pdf"][3]
    assert [(m.original_name, m.size) for m in materials_of(first.id)] == [
        (f"{id1}_m1申报人.pdf", len(pdf("a")))
    ]
    assert [m.original_name for m in materials_of(second.id)] == [f"申报材料-{id2.lower()}.pdf"]
    audits = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "material_uploaded")).all()
    assert len(audits) == 2 and {a.username for a in audits} == {"yuzhong_hr"}
    # The stored file is the uploaded one, and the first reviewer may now approve.
    stored = materials_of(first.id)[0]
    assert client.get(f"/review_queue/materials/download/?mid={stored.id}").data == pdf("a")
    assert not workflow.decide(world.users[enums.DISTRICT_HR], [first.id], "approve", "同意").refused


def test_a_zip_with_good_bad_unmatched_and_nested_members(client, world):
    app = pending_at_district(world, "z1", 331)
    number = app.worker.id_number
    archive = zipped(
        {
            f"某单位/第一批/{number}_z1申报人.pdf": pdf("zip"),  # folders inside the ZIP are ignored
            f"{number}_说明.txt": b"plain text",
            "500101199001011234_无此人.pdf": pdf("nobody"),
            "里面.zip": zipped({"x.pdf": pdf("x")}).getvalue(),
            "__MACOSX/._junk.pdf": b"\x00\x05\x16\x07",
        }
    )
    login(client, "yuzhong_hr")
    rows = rows_of(post(client, [(archive, "材料.zip")]).get_data(as_text=True))
    assert set(rows) == {
        f"材料.zip / {number}_z1申报人.pdf",
        f"材料.zip / {number}_说明.txt",
        "材料.zip / 500101199001011234_无此人.pdf",
        "材料.zip / 里面.zip",
    }
    assert rows[f"材料.zip / {number}_z1申报人.pdf"][0] == "已上传"
    assert rows[f"材料.zip / {number}_说明.txt"][0] == "已拒收"
    assert rows["材料.zip / 500101199001011234_无此人.pdf"][0] == "未匹配"
    assert (
        rows["材料.zip / 里面.zip"][0] == "已拒收"
        and "压缩包内不能再含压缩包" in rows["材料.zip / 里面.zip"][3]
    )
    [material] = materials_of(app.id)
    assert material.original_name == f"{number}_z1申报人.pdf"  # the member's own name, no folder
    # The same file again: nothing is stored twice.
    again = zipped({f"{number}_z1申报人.pdf": pdf("zip")})
    rows = rows_of(post(client, [(again, "材料.zip")]).get_data(as_text=True))
    assert rows[f"材料.zip / {number}_z1申报人.pdf"][0] == "已有相同文件"
    assert len(materials_of(app.id)) == 1


def test_a_zip_named_in_gbk_on_chinese_windows_is_read(client, world):
    app = pending_at_district(world, "g1", 341)
    name = f"{app.worker.id_number}_张三.pdf"
    # Written with an ASCII stand-in of the same length, then the stand-in replaced by the GBK bytes: no
    # UTF-8 flag, as a Chinese Windows writes it.
    stand_in = f"{app.worker.id_number}_ABCD.pdf"
    raw = zipped({stand_in: pdf("gbk")}).getvalue()
    assert len(stand_in.encode()) == len(name.encode("gbk"))
    buffer = io.BytesIO(raw.replace(stand_in.encode(), name.encode("gbk")))
    login(client, "yuzhong_hr")
    rows = rows_of(post(client, [(buffer, "gbk.zip")]).get_data(as_text=True))
    assert rows[f"gbk.zip / {name}"][0] == "已上传"
    assert materials_of(app.id)[0].original_name == name


@pytest.fixture
def no_extraction(monkeypatch):
    """Fails the test if any ZIP member is opened (limits must be checked before extraction)."""
    opened, real = [], zipfile.ZipFile.open

    def refuse_reading(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            opened.append(name)
            raise AssertionError(f"{name} extracted")
        return real(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse_reading)
    yield opened
    assert opened == []


def test_a_zip_bomb_is_refused_before_extraction(client, world, no_extraction):
    app = pending_at_district(world, "b1", 351)
    bomb = zipped({f"{app.worker.id_number}.pdf": b"%PDF-" + b"\x00" * (30 * 1024 * 1024)})
    assert len(bomb.getvalue()) < 100_000
    login(client, "yuzhong_hr")
    body = post(client, [(bomb, "炸弹.zip")]).get_data(as_text=True)
    rows = rows_of(body)
    assert rows["炸弹.zip"][0] == "已拒收" and "压缩比异常" in rows["炸弹.zip"][3]
    assert materials_of(app.id) == []


def test_too_many_members_or_bytes_are_refused_before_extraction(client, world, monkeypatch, no_extraction):
    app = pending_at_district(world, "t1", 361)
    number = app.worker.id_number
    monkeypatch.setattr(limits, "ZIP_MEMBERS", 3)
    many = zipped({f"{number}_{i}.pdf": pdf(str(i)) for i in range(4)})
    login(client, "yuzhong_hr")
    rows = rows_of(post(client, [(many, "多.zip")]).get_data(as_text=True))
    assert rows["多.zip"][0] == "已拒收" and "文件过多" in rows["多.zip"][3]
    monkeypatch.setattr(limits, "ZIP_MEMBERS", 300)
    monkeypatch.setattr(limits, "ZIP_UNPACKED_BYTES", 2000)
    big = zipped({f"{number}_{i}.pdf": pdf("x" * 800) for i in range(3)}, zipfile.ZIP_STORED)
    rows = rows_of(post(client, [(big, "大.zip")]).get_data(as_text=True))
    assert rows["大.zip"][0] == "已拒收" and "解压后过大" in rows["大.zip"][3]
    # One member over the per-file limit is refused alone, by its declared size.
    monkeypatch.setattr(limits, "ZIP_UNPACKED_BYTES", 10**9)
    monkeypatch.setattr(limits, "MATERIAL_BYTES", 500)
    one = zipped({f"{number}_big.pdf": pdf("y" * 800)}, zipfile.ZIP_STORED)
    rows = rows_of(post(client, [(one, "一.zip")]).get_data(as_text=True))
    assert (
        rows[f"一.zip / {number}_big.pdf"][0] == "已拒收"
        and "MB的大小限制" in rows[f"一.zip / {number}_big.pdf"][3]
    )
    # Not a ZIP at all, though it starts like one.
    rows = rows_of(post(client, [(io.BytesIO(b"PK\x03\x04broken"), "坏.zip")]).get_data(as_text=True))
    assert rows["坏.zip"][0] == "已拒收" and "不是有效的ZIP压缩包" in rows["坏.zip"][3]
    assert materials_of(app.id) == []


def test_out_of_scope_or_draft_persons_are_unmatched_alike(client, world):
    login(client, "yuzhong_hr")
    outside = world.applications["B"].worker.id_number  # 沙坪坝: waits at another bureau's step
    draft = world.applications["A"].worker.id_number  # 渝中, but 待提交
    before = len(materials_of(world.applications["B"].id))
    body = post(
        client,
        [(io.BytesIO(pdf("o")), f"{outside}.pdf"), (io.BytesIO(pdf("d")), f"{draft}.pdf")],
    ).get_data(as_text=True)
    rows = rows_of(body)
    assert rows[f"{outside}.pdf"] == rows[f"{draft}.pdf"] == ["未匹配", "", "", bulk_materials.NO_APPLICATION]
    assert "B工人" not in body and "A工人" not in body
    assert len(materials_of(world.applications["B"].id)) == before
    assert materials_of(world.applications["A"].id) == []


def test_several_applications_of_one_person_are_unmatched(client, world):
    app = pending_at_district(world, "s1", 371)
    other_batch = add_batch(2019, BatchState.CLOSED)
    add_application(
        world,
        app.worker,
        batch=other_batch,
        status=pending(enums.DISTRICT_HR),
        route=enums.DISTRICT_HR,
        step_index=0,
    )
    db.session.commit()
    login(client, "yuzhong_hr")
    rows = rows_of(
        post(client, [(io.BytesIO(pdf("s")), f"{app.worker.id_number}.pdf")]).get_data(as_text=True)
    )
    assert (
        rows[f"{app.worker.id_number}.pdf"][0] == "未匹配" and "2个" in rows[f"{app.worker.id_number}.pdf"][3]
    )
    assert materials_of(app.id) == []


def test_a_failed_commit_keeps_no_row_and_no_file(app, client, world, monkeypatch):
    first = pending_at_district(world, "c1", 381)
    second = pending_at_district(world, "c2", 382)
    from admin_app.services import materials

    real, calls = materials.add_stored, []

    def fail_second(actor, application, stored):
        calls.append(stored.stored_name)
        if len(calls) == 2:
            raise RuntimeError("database gone")
        return real(actor, application, stored)

    monkeypatch.setattr(materials, "add_stored", fail_second)
    login(client, "yuzhong_hr")
    with pytest.raises(RuntimeError, match="database gone"):  # the app's error page answers it in Chinese
        post(
            client,
            [
                (io.BytesIO(pdf("1")), f"{first.worker.id_number}.pdf"),
                (io.BytesIO(pdf("2")), f"{second.worker.id_number}.pdf"),
            ],
        )
    assert materials_of(first.id) == [] and materials_of(second.id) == []
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert len(calls) == 2 and not any((upload_dir / name).exists() for name in calls)


def test_many_files_in_one_request_beyond_the_single_upload_limit(app, client, world, monkeypatch):
    first = pending_at_district(world, "l1", 391)
    second = pending_at_district(world, "l2", 392)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100_000)
    login(client, "yuzhong_hr")
    big = PDF + b"0" * 80_000
    response = post(
        client,
        [
            (io.BytesIO(big + b"1"), f"{first.worker.id_number}.pdf"),
            (io.BytesIO(big + b"2"), f"{second.worker.id_number}.pdf"),
        ],
    )
    assert response.status_code == 200 and len(materials_of(first.id)) == len(materials_of(second.id)) == 1
    single = client.post(
        f"/review_queue/materials/upload/?id={first.id}",
        data={"file": (io.BytesIO(big + big), "x.pdf")},
    )
    assert single.status_code == 413


def test_no_files_or_a_unit_user(client, world):
    login(client, "yuzhong_hr")
    body = text_of(client.post(BULK, data={}, follow_redirects=True))
    assert "请选择要上传的PDF文件或ZIP压缩包" in body
    login(client, "unit_a")
    assert client.get(BULK).status_code == 403


# --- 待我审核: 申报材料 有/无 ---------------------------------------------------------------------------
def test_review_queue_shows_and_filters_by_materials(app, client, world):
    with_material = pending_at_district(world, "q1", 401)
    without = pending_at_district(world, "q2", 402)
    add_material(with_material)
    db.session.commit()
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "review_queue")
    index = next(i for i, f in enumerate(view._filters) if isinstance(f, MaterialFilter))
    login(client, "yuzhong_hr")
    body = text_of(client.get("/review_queue/"))
    assert "申报材料" in body
    row_with = body.split("q1申报人", 1)[1].split("</tr>", 1)[0]
    row_without = body.split("q2申报人", 1)[1].split("</tr>", 1)[0]
    assert ">有<" in row_with.replace(" ", "") and ">无<" in row_without.replace(" ", "")
    has = text_of(client.get(f"/review_queue/?flt1_{index}=1"))
    assert "q1申报人" in has and "q2申报人" not in has
    none = text_of(client.get(f"/review_queue/?flt1_{index}=0"))
    assert "q2申报人" in none and "q1申报人" not in none
    # The export writes the same column.
    from openpyxl import load_workbook

    data = client.post("/review_queue/export.xlsx").data
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("申报材料")
    by_name = {row[rows[0].index("姓名")]: row[column] for row in rows[1:]}
    assert by_name["q1申报人"] == "有" and by_name["q2申报人"] == "无"
    assert without.id  # both rows are in the queue


# --- 单位提交时上传申报材料 ------------------------------------------------------------------------------
def test_batch_option_unit_attaches_materials_and_submission_needs_them(client, world):
    unit, app = fresh(world, "u1", enums.CAT_DISTRICT, seq=411)
    user = unit.users[0]
    login(client, user.username)
    # Off (the default): the unit cannot attach to its draft, and submits without materials.
    response = client.post(
        f"/applications/materials/upload/?id={app.id}",
        data={"file": (io.BytesIO(pdf("u")), "登记表.pdf")},
        follow_redirects=True,
    )
    assert "本单位现在不能为该申请上传申报材料" in text_of(response)
    assert f"/applications/materials/upload/?id={app.id}" not in text_of(
        client.get(f"/applications/details/?id={app.id}")
    )
    # On: a draft without materials is refused at submission, with the reason; nothing changes.
    world.batch.materials_at_submission = True
    db.session.commit()
    result = workflow.submit(user, [app.id])
    assert [reason for _id, _label, reason in result.refused] == [
        "本批次要求单位提交时上传申报材料：请先在申请详情页上传申报材料，再提交审核"
    ]
    assert db.session.get(Application, app.id).status == ApplicationState.DRAFT
    details = text_of(client.get(f"/applications/details/?id={app.id}"))
    assert f"/applications/materials/upload/?id={app.id}" in details
    response = client.post(
        f"/applications/materials/upload/?id={app.id}",
        data={"file": (io.BytesIO(pdf("u")), "登记表.pdf")},
        follow_redirects=True,
    )
    assert "已上传：登记表.pdf" in text_of(response)
    assert not workflow.submit(user, [app.id]).refused
    db.session.expire_all()
    assert db.session.get(Application, app.id).status == pending(enums.DISTRICT_HR)
    # Submitted: the unit can no longer attach; the first reviewer approves without uploading.
    response = client.post(
        f"/applications/materials/upload/?id={app.id}",
        data={"file": (io.BytesIO(pdf("v")), "补充.pdf")},
        follow_redirects=True,
    )
    assert "本单位现在不能为该申请上传申报材料" in text_of(response)
    assert not workflow.decide(world.users[enums.DISTRICT_HR], [app.id], "approve", "同意").refused


def test_batch_form_offers_the_option_and_next_year_keeps_it(client, world):
    from admin_app.services import batches

    login(client, "admin")
    form = text_of(client.get(f"/batches/edit/?id={world.batch.id}"))
    assert "单位提交时上传申报材料" in form and 'name="materials_at_submission"' in form
    world.batch.materials_at_submission = True
    db.session.commit()
    batch = batches.next_year_from(world.users[enums.ADMIN], world.batch)
    assert batch.materials_at_submission is True


def test_deleting_a_draft_removes_its_materials_files(app, client, world):
    unit, draft = fresh(world, "d1", enums.CAT_DISTRICT, seq=421)
    world.batch.materials_at_submission = True
    db.session.commit()
    login(client, unit.users[0].username)
    client.post(
        f"/applications/materials/upload/?id={draft.id}",
        data={"file": (io.BytesIO(pdf("del")), "登记表.pdf")},
    )
    [material] = materials_of(draft.id)
    path = Path(app.config["UPLOAD_DIR"]) / material.stored_name
    assert path.read_bytes() == pdf("del")
    workflow.delete_draft(unit.users[0], db.session.get(Application, draft.id))
    assert materials_of(draft.id) == [] and not path.exists()
