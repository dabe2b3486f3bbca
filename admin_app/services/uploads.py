"""Storing uploaded files. Type is decided by content (magic bytes), never by the name;
files are stored under generated names; the original (often Chinese) name is kept for display only.

Where files live is configuration (``UPLOAD_STORAGE``): ``local`` — a directory (UPLOAD_DIR), which several app
servers share over NFS or similar — or ``s3`` — a bucket of S3-compatible object storage (S3_BUCKET, optional
S3_ENDPOINT_URL for MinIO / Ceph, S3_PREFIX; credentials the standard AWS way). Everything goes through
``storage()``; nothing else touches the files.

A file is served only with the type detected when it was uploaded (stored in the database with its row), never
one guessed from a name: inline only as one of ``INLINE_TYPES``, the app's own spreadsheets as .xlsx
attachments, anything else as an attachment of application/octet-stream, always with nosniff (the response is
the views': ``views.files.send_stored``; ``content_disposition`` here). A local write lands under its final name only whole
and synced; a failed write leaves nothing behind and raises ``StorageFailed`` with a Chinese message.
"""

import contextlib
import errno
import hashlib
import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import current_app

from admin_app import limits
from admin_app.services.validators import InvalidInput

MAX_MATERIAL_BYTES = limits.MATERIAL_BYTES
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
# The only types a browser is ever asked to show (rather than save); all are what ``sniff`` detects.
INLINE_TYPES = frozenset(content_type for _magic, content_type, _ext in SIGNATURES)
DOWNLOAD_TYPE = "application/octet-stream"
# The extension a downloaded file gets is the one of its served type, whatever name it was uploaded with; these
# types (the detected ones, and the spreadsheets the app writes itself) are served as themselves.
EXTENSIONS = {content_type: ext for _magic, content_type, ext in SIGNATURES} | {XLSX_TYPE: "xlsx"}
STORAGE_FULL = "服务器存储空间不足，文件未保存，请稍后重试或联系管理员"
STORAGE_ERROR = "服务器存储出错，文件未保存，请稍后重试或联系管理员"

log = logging.getLogger(__name__)


class StorageFailed(InvalidInput):
    """The storage could not keep a file; nothing of it was kept. ``str(exc)`` is the Chinese message for the
    user (an InvalidInput, so every upload form shows it like any refusal); the cause is logged."""

    @classmethod
    def because(cls, exc: BaseException, stored_name: str) -> "StorageFailed":
        full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        log.error("upload %s not stored: %r", stored_name, exc)
        return cls(STORAGE_FULL if full else STORAGE_ERROR)


@dataclass(frozen=True)
class StoredFile:
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes, allowed: tuple[str, ...]) -> tuple[str, str] | None:
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic) and content_type in allowed:
            return content_type, ext
    return None


def display_name(filename: str | None) -> str:
    """Keep the Chinese name for display; drop any path and control characters."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[: limits.FILE_NAME] or "未命名文件"


def _checked_name(stored_name: str) -> str:
    """A stored name is relative, with no parent steps: it can never point outside the storage."""
    parts = stored_name.replace("\\", "/").split("/")
    if not stored_name or stored_name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise InvalidInput("无效的文件路径")
    return stored_name


class LocalStorage:
    """Files under a directory (UPLOAD_DIR)."""

    def __init__(self, root: str):
        self.root = Path(root).resolve()

    def path(self, stored_name: str) -> Path:
        path = (self.root / _checked_name(stored_name)).resolve()
        if self.root not in path.parents:
            raise InvalidInput("无效的文件路径")
        return path

    def save(self, stored_name: str, data: bytes, content_type: str) -> None:
        """Write to a temporary name in the same directory, flush and fsync it, then rename it into place
        (and sync the directory): the final name only ever holds the whole file. On any error nothing of the
        file is left (neither the temporary nor the final name) and StorageFailed is raised."""
        path = self.path(stored_name)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        published = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():  # names are 128-bit random: a clash is a bug, never overwrite a stored file
                raise FileExistsError(errno.EEXIST, "stored name already in use", str(path))
            with open(temporary, "xb") as handle:
                write_all(handle, data)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(temporary, path)
            published = True
            _sync_directory(path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            if published:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise StorageFailed.because(exc, stored_name) from exc

    def save_file(self, stored_name: str, source: str, content_type: str) -> None:
        """Store the file at ``source`` (a large generated file, never read into memory) as ``save`` stores
        bytes: copied to a temporary name beside the final one, synced, renamed; nothing left on failure."""
        path = self.path(stored_name)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                raise FileExistsError(errno.EEXIST, "stored name already in use", str(path))
            with open(source, "rb") as reader, open(temporary, "xb") as handle:
                shutil.copyfileobj(reader, handle, 1024 * 1024)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(temporary, path)
            _sync_directory(path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise StorageFailed.because(exc, stored_name) from exc

    def exists(self, stored_name: str) -> bool:
        return self.path(stored_name).is_file()

    def read(self, stored_name: str) -> bytes:
        return self.path(stored_name).read_bytes()

    def delete(self, stored_name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(stored_name).unlink()

    def open(self, stored_name: str) -> Path:
        """What a response sends: the file's path; FileNotFoundError when it is not there."""
        path = self.path(stored_name)
        if not path.is_file():
            raise FileNotFoundError(stored_name)
        return path


def write_all(handle, data: bytes) -> None:
    """The one write of an upload's bytes (tests make it fail as a full disk would)."""
    handle.write(data)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (the directory entry), where the platform allows opening a directory."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage:
    """Objects in a bucket of S3-compatible storage; the app streams them to the (authorised) user, so the
    bucket stays private and the row scope is checked on every download."""

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def key(self, stored_name: str) -> str:
        name = _checked_name(stored_name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def save(self, stored_name: str, data: bytes, content_type: str) -> None:
        """One PUT: the object exists whole or not at all. Raises StorageFailed when the store refuses it."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(stored_name), Body=data, ContentType=content_type
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageFailed.because(exc, stored_name) from exc

    def save_file(self, stored_name: str, source: str, content_type: str) -> None:
        """Upload the file at ``source`` (multipart above 8 MB): the object appears whole or not at all."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.upload_file(
                source, self.bucket, self.key(stored_name), ExtraArgs={"ContentType": content_type}
            )
        except (BotoCoreError, ClientError, S3UploadFailedError, OSError) as exc:
            raise StorageFailed.because(exc, stored_name) from exc

    def _missing(self, exc) -> bool:
        return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")

    def exists(self, stored_name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(stored_name))
        except ClientError as exc:
            if self._missing(exc):
                return False
            raise
        return True

    def read(self, stored_name: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self.key(stored_name))["Body"].read()

    def delete(self, stored_name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(stored_name))

    def open(self, stored_name: str):
        """What a response sends: the object's body, streamed; FileNotFoundError when it is not there."""
        from botocore.exceptions import ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.key(stored_name))
        except ClientError as exc:
            if self._missing(exc):
                raise FileNotFoundError(stored_name) from None
            raise
        return obj["Body"]


def build_storage(config) -> LocalStorage | S3Storage:
    if config.get("UPLOAD_STORAGE", "local") == "s3":
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
        )
        return S3Storage(client, config["S3_BUCKET"], config.get("S3_PREFIX", ""))
    return LocalStorage(config["UPLOAD_DIR"])


def storage() -> LocalStorage | S3Storage:
    """This app's file storage, built once from its configuration."""
    extensions = current_app.extensions
    if "gk_storage" not in extensions:
        extensions["gk_storage"] = build_storage(current_app.config)
    return extensions["gk_storage"]


def store(
    file_storage,
    folder: str,
    allowed: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png"),
    max_bytes: int = MAX_MATERIAL_BYTES,
) -> StoredFile:
    """Check and store an upload. Raises InvalidInput (Chinese) when it is empty, too big or of a wrong type."""
    if file_storage is None or not file_storage.filename:
        raise InvalidInput("请选择要上传的文件")
    data = file_storage.stream.read(max_bytes + 1)
    return store_data(file_storage.filename, data, folder, allowed, max_bytes)


def checked_type(
    data: bytes, allowed: tuple[str, ...], max_bytes: int = MAX_MATERIAL_BYTES
) -> tuple[str, str]:
    """(content type, extension) of ``data`` judged by its content. Raises InvalidInput (Chinese) when it is
    empty, longer than ``max_bytes`` or none of ``allowed``."""
    if not data:
        raise InvalidInput("上传的文件为空")
    if len(data) > max_bytes:
        raise InvalidInput(f"文件超过{max_bytes // (1024 * 1024)}MB的大小限制")
    kind = sniff(data[:16], allowed)
    if kind is None:
        names = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
        raise InvalidInput(
            f"文件类型不符：只接受{'、'.join(names[a] for a in allowed)}文件（按文件内容判断，而非扩展名）"
        )
    return kind


def store_data(
    filename: str | None,
    data: bytes,
    folder: str,
    allowed: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png"),
    max_bytes: int = MAX_MATERIAL_BYTES,
) -> StoredFile:
    """Check and store bytes already read (at most ``max_bytes`` + 1 of them) under a generated name;
    ``filename`` is kept for display. Raises InvalidInput as ``store`` does, StorageFailed if not kept."""
    content_type, ext = checked_type(data, allowed, max_bytes)
    stored_name = f"{folder}/{secrets.token_hex(16)}.{ext}"
    storage().save(stored_name, data, content_type)
    return StoredFile(
        original_name=display_name(filename),
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def storage_path(stored_name: str) -> Path:
    """The file's path under UPLOAD_DIR (local storage); a stored name can never point outside it."""
    return LocalStorage(current_app.config["UPLOAD_DIR"]).path(stored_name)


def content_disposition(disposition: str, name: str | None, content_type: str | None) -> str:
    """``disposition; filename="ascii.ext"; filename*=UTF-8''…`` — the display name with its extension
    replaced by the one of ``content_type`` (``bin`` for a type we do not know), quotes, separators and
    control characters gone."""
    stem = os.path.splitext(display_name(name))[0]
    stem = re.sub(r'["\\/;:*?<>|%]+', "_", stem).strip(" .") or "文件"
    full = f"{stem}.{EXTENSIONS.get(content_type, 'bin')}"
    ascii_stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "file"
    fallback = f"{ascii_stem}.{EXTENSIONS.get(content_type, 'bin')}"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(full, safe='')}"


def remove(stored_name: str) -> None:
    """Best effort: a file that cannot be removed is logged, never turned into an error for the user (it runs
    while another error is being answered)."""
    try:
        storage().delete(stored_name)
    except InvalidInput:
        pass
    except Exception as exc:  # noqa: BLE001 - cleanup must not mask the refusal being answered
        log.warning("could not remove %s: %r", stored_name, exc)
