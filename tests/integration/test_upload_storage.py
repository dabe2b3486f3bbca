"""Uploads in S3-compatible object storage (UPLOAD_STORAGE=s3), as several app servers would use it: stored
in the bucket, not on the server's disk, streamed back only through the scoped download; moto plays S3."""

import io
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa
from moto import mock_aws

from admin_app import create_app
from admin_app.config import ConfigError, load_config
from admin_app.extensions import db
from admin_app.services import uploads
from admin_app.services.validators import InvalidInput
from models import Material
from tests.conftest import IsolatedClient, login, snapshot_database, text_of
from views import files

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
BUCKET = "gk-uploads"


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def s3_app(app, s3, tmp_path):
    """A second app server on the same database whose uploads go to the bucket; its own UPLOAD_DIR stays
    empty to prove nothing is written to disk."""
    server = create_app(
        {
            **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")},
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "UPLOAD_DIR": str(tmp_path / "unused"),
            "UPLOAD_STORAGE": "s3",
            "S3_BUCKET": BUCKET,
            "S3_PREFIX": "gk",
            "S3_REGION": "us-east-1",
        }
    )
    server.test_client_class = IsolatedClient
    return server


def test_material_goes_to_the_bucket_and_comes_back_through_the_scoped_download(s3_app, s3, world, tmp_path):
    app_b = world.applications["B"]  # waiting at 沙坪坝
    client = s3_app.test_client()
    login(client, "shapingba_hr")
    response = client.post(
        f"/review_queue/materials/upload/?id={app_b.id}",
        data={"file": (io.BytesIO(PDF), "登记表（扫描）.pdf")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    material = db.session.scalars(
        sa.select(Material).where(Material.application_id == app_b.id).order_by(Material.id.desc())
    ).first()
    key = f"gk/{material.stored_name}"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PDF
    assert s3.head_object(Bucket=BUCKET, Key=key)["ContentType"] == "application/pdf"
    assert not list(Path(tmp_path).rglob("*.pdf"))  # nothing on this server's disk

    download = client.get(f"/review_queue/materials/download/?mid={material.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]

    # another bureau's user: the row scope still decides, whatever the storage
    login(client, "yuzhong_hr")
    assert client.get(f"/applications/materials/download/?mid={material.id}").status_code == 404


def test_storage_operations_and_names(s3_app, s3):
    with s3_app.app_context():
        store = uploads.storage()
        assert isinstance(store, uploads.S3Storage)
        store.save("reports/a.xlsx", b"x", uploads.XLSX_TYPE)
        assert store.exists("reports/a.xlsx") and store.read("reports/a.xlsx") == b"x"
        store.delete("reports/a.xlsx")
        assert not store.exists("reports/a.xlsx")
        for bad in ("../etc/passwd", "/abs", "a/../../b", "a//b", ""):
            with pytest.raises(InvalidInput):
                store.key(bad)
        with s3_app.test_request_context():
            with pytest.raises(Exception) as missing:
                files.send_stored("reports/none.xlsx", content_type=uploads.XLSX_TYPE, download_name="x.xlsx")
            assert getattr(missing.value, "code", None) == 404


def test_s3_storage_needs_a_bucket(tmp_path):
    with pytest.raises(ConfigError, match="S3_BUCKET"):
        load_config(str(tmp_path), {"UPLOAD_STORAGE": "s3"})
    with pytest.raises(ConfigError, match="UPLOAD_STORAGE"):
        load_config(str(tmp_path), {"UPLOAD_STORAGE": "ftp"})
    config = load_config(
        str(tmp_path), {"UPLOAD_STORAGE": "s3", "S3_BUCKET": "b", "S3_ENDPOINT_URL": "http://minio:9000"}
    )
    assert (config["UPLOAD_STORAGE"], config["S3_BUCKET"], config["S3_ENDPOINT_URL"]) == (
        "s3",
        "b",
        "http://minio:9000",
    )


def test_a_disguised_upload_in_the_bucket_is_served_as_its_detected_type(s3_app, s3, world):
    app_b = world.applications["B"]
    client = s3_app.test_client()
    login(client, "shapingba_hr")
    client.post(
        f"/review_queue/materials/upload/?id={app_b.id}",
        data={"file": (io.BytesIO(b"\xff\xd8\xff\xe0<html><script>alert(1)</script>"), "evil.html")},
    )
    material = db.session.scalars(
        sa.select(Material).where(Material.application_id == app_b.id).order_by(Material.id.desc())
    ).first()
    # Even if the object's own metadata were changed in the bucket, the type recorded at upload decides.
    key = f"gk/{material.stored_name}"
    s3.copy_object(
        Bucket=BUCKET,
        Key=key,
        CopySource={"Bucket": BUCKET, "Key": key},
        ContentType="text/html",
        MetadataDirective="REPLACE",
    )
    download = client.get(f"/applications/materials/download/?mid={material.id}")
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="evil.jpg"')
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_refused_write_to_the_bucket_answers_in_chinese_and_keeps_nothing(s3_app, s3, world):
    app_b = world.applications["B"]
    client = s3_app.test_client()
    login(client, "shapingba_hr")
    # Every PUT now fails (NoSuchBucket), as a full or unreachable store would.
    s3.delete_bucket(Bucket=BUCKET)
    before = snapshot_database()
    response = client.post(
        f"/review_queue/materials/upload/?id={app_b.id}",
        data={"file": (io.BytesIO(PDF), "登记表.pdf")},
        follow_redirects=True,
    )
    assert response.status_code == 200 and uploads.STORAGE_ERROR in text_of(response)
    assert snapshot_database() == before
