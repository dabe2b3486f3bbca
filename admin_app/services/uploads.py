"""Storing and serving uploaded files. Type is decided by content (magic bytes), never by the name;
files are stored under generated names; the original (often Chinese) name is kept for display only."""

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from admin_app.services.validators import InvalidInput

MAX_MATERIAL_BYTES = 20 * 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


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
    return name[:200] or "未命名文件"


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
    content_type, ext = kind
    stored_name = f"{folder}/{secrets.token_hex(16)}.{ext}"
    path = storage_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        handle.write(data)
    return StoredFile(
        original_name=display_name(file_storage.filename),
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def storage_path(stored_name: str) -> Path:
    """The file's path under UPLOAD_DIR; a stored name can never point outside it."""
    root = Path(current_app.config["UPLOAD_DIR"]).resolve()
    path = (root / stored_name).resolve()
    if root not in path.parents:
        raise InvalidInput("无效的文件路径")
    return path


def remove(stored_name: str) -> None:
    with contextlib.suppress(FileNotFoundError, InvalidInput):
        storage_path(stored_name).unlink()
