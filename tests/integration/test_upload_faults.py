"""A full or failing upload directory: every upload answers a Chinese message, changes nothing in the database
and leaves no truncated, empty or temporary file behind; a failed commit removes the file it had written."""

import errno
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import materials, uploads
from admin_app.workflow.states import ExamCategory
from models import Material
from tests.conftest import login, snapshot_database, text_of
from tests.integration.test_candidate_import import HEADER, xlsx

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 4096
PDF = b"%PDF-1.4\n" + b"0" * 4096


def files_on_disk(app) -> set[str]:
    root = Path(app.config["UPLOAD_DIR"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def full_disk_after(calls_that_succeed: int, written_before_failing: float = 0.5):
    """A write_all that lets ``calls_that_succeed`` writes through, then writes part of the next file and
    fails as a full disk does."""
    calls = []

    def write(handle, data):
        calls.append(len(data))
        if len(calls) <= calls_that_succeed:
            return handle.write(data)
        handle.write(data[: int(len(data) * written_before_failing)])
        raise OSError(errno.ENOSPC, "No space left on device")

    return write


def register(client, reg, photo=JPEG, id_copy=PDF):
    return client.post(
        f"/registrations/register/?id={reg.id}",
        data={
            "phone": "13800001111",
            "exam_category": ExamCategory.BOTH,
            "photo": (io.BytesIO(photo), "照片.jpg"),
            "id_copy": (io.BytesIO(id_copy), "身份证.pdf"),
        },
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("succeeding", "written"),
    [(0, 0.0), (0, 0.5), (1, 0.5)],
    ids=["empty-photo", "truncated-photo", "photo-kept-id-copy-truncated"],
)
def test_full_disk_during_registration_keeps_nothing(app, client, world, monkeypatch, succeeding, written):
    reg = world.registrations["A"]
    login(client, "unit_a")
    before, on_disk = snapshot_database(), files_on_disk(app)
    monkeypatch.setattr(uploads, "write_all", full_disk_after(succeeding, written))
    response = register(client, reg)
    assert response.status_code == 200
    assert uploads.STORAGE_FULL in text_of(response)
    assert snapshot_database() == before
    assert (
        files_on_disk(app) == on_disk
    )  # no truncated, empty or temporary file; the photo written first is gone


def test_full_disk_during_material_upload_keeps_nothing(app, client, world, monkeypatch):
    app_b = world.applications["B"]
    login(client, "shapingba_hr")
    before, on_disk = snapshot_database(), files_on_disk(app)
    monkeypatch.setattr(uploads, "write_all", full_disk_after(0))
    response = client.post(
        f"/review_queue/materials/upload/?id={app_b.id}",
        data={"file": (io.BytesIO(PDF), "登记表.pdf")},
        follow_redirects=True,
    )
    assert response.status_code == 200 and uploads.STORAGE_FULL in text_of(response)
    assert snapshot_database() == before
    assert files_on_disk(app) == on_disk


def test_full_disk_while_keeping_the_import_report_still_lists_the_problems(app, client, world, monkeypatch):
    login(client, "unit_a")
    before, on_disk = snapshot_database(), files_on_disk(app)
    monkeypatch.setattr(uploads, "write_all", full_disk_after(0))
    response = client.post(
        "/registrations/import/",
        data={"file": (io.BytesIO(xlsx([dict.fromkeys(HEADER, "x")])), "附表5.xlsx")},
        content_type="multipart/form-data",
    )
    body = text_of(response)
    assert response.status_code == 200
    assert "未导入任何数据" in body and uploads.STORAGE_FULL in body and "report.xlsx?token=" not in body
    assert snapshot_database() == before
    assert files_on_disk(app) == on_disk


@pytest.mark.parametrize("failing", ["fsync", "directory sync"])
def test_a_failed_sync_removes_the_file_and_says_so(app, client, world, monkeypatch, failing):
    def broken(*_args):
        raise OSError(errno.EIO, "Input/output error")

    if failing == "fsync":
        monkeypatch.setattr(uploads.os, "fsync", broken)
    else:  # after the rename: the file had its final name, and must still go
        monkeypatch.setattr(uploads, "_sync_directory", broken)
    login(client, "shapingba_hr")
    before, on_disk = snapshot_database(), files_on_disk(app)
    response = client.post(
        f"/review_queue/materials/upload/?id={world.applications['B'].id}",
        data={"file": (io.BytesIO(PDF), "登记表.pdf")},
        follow_redirects=True,
    )
    assert response.status_code == 200 and uploads.STORAGE_ERROR in text_of(response)
    assert snapshot_database() == before
    assert files_on_disk(app) == on_disk


def test_a_good_upload_lands_whole_under_its_final_name_only(app, world):
    class Upload(io.BytesIO):
        filename = "登记表.pdf"

        @property
        def stream(self):
            return self

    on_disk = files_on_disk(app)
    material = materials.attach(world.users["district_hr_b"], world.applications["B"], Upload(PDF))
    assert files_on_disk(app) - on_disk == {material.stored_name}
    assert uploads.storage().read(material.stored_name) == PDF


def _failing_commit():
    raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))


def test_a_failed_commit_removes_the_material_file(app, world, monkeypatch):
    class Upload(io.BytesIO):
        filename = "登记表.pdf"

        @property
        def stream(self):
            return self

    on_disk = files_on_disk(app)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Material))
    monkeypatch.setattr(db.session, "commit", _failing_commit)
    with pytest.raises(sa.exc.OperationalError):
        materials.attach(world.users["district_hr_b"], world.applications["B"], Upload(PDF))
    monkeypatch.undo()
    assert files_on_disk(app) == on_disk
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Material)) == count


def test_a_failed_commit_of_a_registration_answers_503_and_removes_both_files(
    app, client, world, monkeypatch
):
    reg = world.registrations["A"]
    login(client, "unit_a")
    before, on_disk = snapshot_database(), files_on_disk(app)
    monkeypatch.setattr(db.session, "commit", _failing_commit)
    response = register(client, reg)
    monkeypatch.undo()
    assert response.status_code == 503 and "数据库" in text_of(response)
    assert snapshot_database() == before
    assert files_on_disk(app) == on_disk
