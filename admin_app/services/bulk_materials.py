"""批量上传申报材料: many PDFs, or ZIPs of PDFs, at once; each file is matched to an application by the
18-character ID number (身份证号码) in its file name and attached as the single upload attaches it
(``materials``: same permission, same storage, same audit row).

A file goes to an application only when the ID number in its name is valid (GB 11643) and exactly one
application of that person waits at the reviewer's own step within the reviewer's scope; whether the person
exists elsewhere is never told. Each file is judged on its own: a refused or unmatched file does not stop the
others. The files that match are stored first, then their rows and audit rows are written and committed
together (the audit chain is locked only for that short moment); if that commit fails, no row and no file of
this upload is kept.

ZIPs are untrusted input: the directory is read first and the number of members, their declared sizes
(one and all together) and compression ratios are checked before anything is extracted; a member is then
read at most ``MATERIAL_BYTES`` + 1 bytes (zipfile never returns more than the declared size), nested
archives and encrypted members are refused, and the path inside the ZIP is ignored (only the file's own name
counts). Limits: ``admin_app/limits.py``.
"""

import hashlib
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from admin_app import limits
from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import materials, uploads
from admin_app.services.scope import application_condition
from admin_app.services.validators import InvalidInput, parse_resident_id
from admin_app.workflow.states import pending
from models import Application, Material, Worker, enums

PDF = ("application/pdf",)
MATCHED, DUPLICATE, UNMATCHED, REFUSED = "matched", "duplicate", "unmatched", "refused"
OUTCOME_LABELS = {MATCHED: "已上传", DUPLICATE: "已有相同文件", UNMATCHED: "未匹配", REFUSED: "已拒收"}
# An 18-character ID number in a file name: 17 digits and a digit or X, not inside a longer run of digits.
ID_IN_NAME = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ARCHIVE_MAGIC = (*ZIP_MAGIC, b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")
ARCHIVE_NAMES = (".zip", ".rar", ".7z", ".gz", ".tgz", ".tar", ".bz2", ".xz")
ENCRYPTED = 0x1  # ZIP general purpose flag bits
UTF8_NAME = 0x800
MB = 1024 * 1024

NO_ID = "文件名中没有18位身份证号码（文件名应含申报人的身份证号码，如 500101199001011234_张三.pdf）"
MANY_IDS = "文件名中有多个不同的身份证号码，无法确定归属"
NO_APPLICATION = "没有找到该身份证号码的、在您审核环节的申请（请核对文件名中的身份证号码）"
SEVERAL = "该人员有{n}个在您审核环节的申请，无法确定归属，请在申请详情页分别上传"
NESTED = "压缩包内不能再含压缩包，请解压后上传"


@dataclass
class FileResult:
    """One file of the upload (a ZIP member is named ``压缩包名 / 文件名``) and what became of it."""

    name: str
    outcome: str
    reason: str = ""
    application: Application | None = None
    application_id: int | None = None
    person: str = ""  # 姓名（masked ID number）, written down before the commit expires the row
    what: str = ""  # the application: batch, 工种, grade

    def __post_init__(self):
        app = self.application
        if app is not None:
            self.application_id = app.id
            self.person = f"{app.worker.name}（{app.worker.masked_id_number}）"
            self.what = (
                f"{app.batch.year}年度 {app.applied_trade.name} {enums.grade_label(app.applied_grade)}"
            )

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass
class BulkUploadResult:
    files: list[FileResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def attached(self) -> int:
        return self.count(MATCHED)


@dataclass
class _Item:
    """A file to judge: its shown name, the ID number in its name (or why there is none), and how to read it
    (or why it was refused before reading)."""

    name: str
    read: Callable[[], bytes] | None = None
    refused: str | None = None
    id_number: str | None = None
    unmatched: str | None = None
    in_zip: bool = False
    own_name: str = ""  # a ZIP member's own name (kept as the material's name)
    data: bytes | None = None  # read, kept from judging to storing a matched file only


def upload(actor, files) -> BulkUploadResult:
    """Attach the uploaded PDFs (werkzeug ``FileStorage``s; a ZIP among them is opened) to the applications
    named by the ID numbers in their file names, as ``actor`` — a reviewer (an ``Actor``, or a user).

    Guarantees: a file is attached only to the one application of that person at the reviewer's own step
    within the reviewer's scope (``materials.may_attach``), only if it is a PDF by content within
    ``MATERIAL_BYTES``, and not twice (a file with the same content already attached is reported, not stored
    again); each file has one result row, in the order uploaded. The attached files' rows and audit rows are
    committed together; if that fails nothing of the upload is kept and the error propagates. Raises
    ``InvalidInput`` (Chinese) for a role that reviews nothing or an upload without files."""
    actor = Actor.of(actor)
    if actor.role not in enums.REVIEW_ROLES:
        raise InvalidInput("只有审核人员可以批量上传申报材料")
    chosen = [f for f in files if f is not None and f.filename]
    if not chosen:
        raise InvalidInput("请选择要上传的PDF文件或ZIP压缩包")
    items = list(_items(chosen))
    candidates = _candidates(actor, {item.id_number for item in items if item.id_number})
    known = _hashes([app.id for apps in candidates.values() for app in apps])
    result, stored = BulkUploadResult(), []
    try:
        for item in items:
            outcome = _judge(item, candidates, known)
            if outcome.outcome == MATCHED:
                try:
                    name, folder = item.own_name or item.name, materials.folder_of(outcome.application)
                    file = uploads.store_data(name, item.data, folder, PDF, limits.MATERIAL_BYTES)
                except InvalidInput as exc:  # the storage could not keep it (StorageFailed)
                    outcome = FileResult(item.name, REFUSED, str(exc))
                else:
                    stored.append((outcome.application, file))
            item.data = None
            result.files.append(outcome)
        for app, file in stored:
            materials.add_stored(actor, app, file)
        db.session.commit()
    except Exception:
        db.session.rollback()
        for _app, file in stored:
            uploads.remove(file.stored_name)
        raise
    return result


# --- reading the upload ----------------------------------------------------------------------------------
def _items(files) -> Iterator[_Item]:
    budget = _ZipBudget()
    for index, file in enumerate(files):
        name = uploads.display_name(file.filename)
        if index >= limits.BULK_MATERIAL_FILES:
            yield _Item(
                name,
                refused=f"一次最多上传{limits.BULK_MATERIAL_FILES}个文件（一个压缩包算一个），请分批上传",
            )
            continue
        stream = file.stream  # werkzeug keeps every upload in a seekable (spooled) file
        head = stream.read(4)
        stream.seek(0)
        if head.startswith(ZIP_MAGIC):
            yield from _zip_items(name, stream, budget)
        else:
            yield _named(_Item(name, read=lambda s=stream: s.read(limits.MATERIAL_BYTES + 1)))


@dataclass
class _ZipBudget:
    """What the ZIPs of one upload may hold together."""

    members: int = field(default_factory=lambda: limits.ZIP_MEMBERS)
    unpacked: int = field(default_factory=lambda: limits.ZIP_UNPACKED_BYTES)


def _zip_items(zip_name: str, stream, budget: _ZipBudget) -> Iterator[_Item]:
    """The members of a ZIP, checked from its directory before anything is extracted."""
    try:
        archive = zipfile.ZipFile(stream)
        members = [i for i in archive.infolist() if not i.is_dir() and not _is_metadata(i.filename)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        yield _Item(zip_name, refused="不是有效的ZIP压缩包（文件已损坏或格式不受支持）")
        return
    unpacked = sum(i.file_size for i in members)
    packed = sum(i.compress_size for i in members)
    whole = None
    if not members:
        whole = "压缩包内没有文件"
    elif len(members) > budget.members:
        whole = f"压缩包内文件过多（{len(members)}个）：本次上传的压缩包最多共含{limits.ZIP_MEMBERS}个文件，请分批上传"
    elif unpacked > budget.unpacked:
        whole = f"压缩包解压后过大（{unpacked // MB}MB）：本次上传的压缩包解压后最多共{limits.ZIP_UNPACKED_BYTES // MB}MB，请分批上传"
    elif unpacked > limits.ZIP_RATIO * max(packed, 1):
        whole = "压缩包的压缩比异常（疑似压缩炸弹），已拒收"
    if whole:
        yield _Item(zip_name, refused=whole)
        return
    budget.members -= len(members)
    budget.unpacked -= unpacked
    for info in members:
        name = uploads.display_name(_member_name(info))
        shown = f"{zip_name} / {name}"
        refused = _member_refusal(info, name)
        if refused:
            yield _Item(shown, refused=refused, in_zip=True)
        else:
            item = _Item(shown, read=lambda a=archive, i=info: _read_member(a, i), in_zip=True, own_name=name)
            yield _named(item)


def _is_metadata(path: str) -> bool:
    """Entries a Mac adds to a ZIP (resource forks, Finder data): not files anyone chose."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    return path.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store"


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name: ZIPs made on Chinese Windows store GBK names without the UTF-8 flag, which zipfile
    reads as CP437."""
    if info.flag_bits & UTF8_NAME:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _member_refusal(info: zipfile.ZipInfo, name: str) -> str | None:
    if name.lower().endswith(ARCHIVE_NAMES):
        return NESTED
    if info.flag_bits & ENCRYPTED:
        return "加密的文件无法读取，请上传未加密的文件"
    if info.file_size == 0:
        return "文件为空"
    if info.file_size > limits.MATERIAL_BYTES:
        return f"文件超过{limits.MATERIAL_BYTES // MB}MB的大小限制"
    if info.file_size > limits.ZIP_RATIO * max(info.compress_size, 1):
        return "文件的压缩比异常（疑似压缩炸弹），已拒收"
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as member:
            return member.read(limits.MATERIAL_BYTES + 1)
    except NotImplementedError:
        raise InvalidInput("文件的压缩方式不受支持，请用常规ZIP格式重新压缩") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError):
        raise InvalidInput("压缩包中的该文件已损坏，无法读取") from None


def _named(item: _Item) -> _Item:
    """The ID number in the file's own name (not the ZIP's, not a folder's), or why there is none."""
    text = unicodedata.normalize("NFKC", item.own_name or item.name)
    found = {m.upper() for m in ID_IN_NAME.findall(text)}
    valid, problems = set(), []
    for number in sorted(found):
        try:
            valid.add(parse_resident_id(number).number)
        except InvalidInput as exc:
            problems.append(f"文件名中的身份证号码{number}无效：{exc}")
    if len(valid) == 1:
        item.id_number = valid.pop()
    elif valid:
        item.unmatched = MANY_IDS
    else:
        item.unmatched = problems[0] if problems else NO_ID
    return item


# --- matching -------------------------------------------------------------------------------------------
def _candidates(actor: Actor, numbers: set[str]) -> dict[str, list[Application]]:
    """ID number -> the applications of that person the actor may attach to now: in the actor's scope, at
    the actor's step, in a batch that is not archived."""
    found: dict[str, list[Application]] = {}
    numbers = sorted(numbers)
    for start in range(0, len(numbers), limits.CHUNK):
        rows = db.session.execute(
            sa.select(Application, Worker.id_number)
            .join(Worker, Worker.id == Application.worker_id)
            .where(
                Worker.id_number.in_(numbers[start : start + limits.CHUNK]),
                application_condition(actor.user),
                Application.status == pending(actor.role),
            )
            .options(
                joinedload(Application.worker),
                joinedload(Application.applied_trade),
                joinedload(Application.batch),
            )
            .order_by(Application.id)
        ).all()
        for app, number in rows:
            if materials.may_attach(actor.user, app) and not (app.batch and app.batch.read_only):
                found.setdefault(number, []).append(app)
    return found


def _hashes(application_ids: list[int]) -> dict[int, set[str]]:
    """application id -> the SHA-256 of the materials it already has."""
    known: dict[int, set[str]] = {}
    for start in range(0, len(application_ids), limits.CHUNK):
        rows = db.session.execute(
            sa.select(Material.application_id, Material.sha256).where(
                Material.application_id.in_(application_ids[start : start + limits.CHUNK])
            )
        )
        for app_id, digest in rows:
            known.setdefault(app_id, set()).add(digest)
    return known


def _judge(item: _Item, candidates: dict, known: dict) -> FileResult:
    """What becomes of one file: refused (not readable, not a PDF by content, too big), unmatched (no valid
    ID number, no or several applications), a duplicate of an attached file, or matched. Reads the file only
    when its name gave no reason to refuse it."""
    item.data = None
    if item.refused:
        return FileResult(item.name, REFUSED, item.refused)
    try:
        data = item.read()
        if data.startswith(ARCHIVE_MAGIC):
            raise InvalidInput(NESTED if item.in_zip else "只接受PDF文件或ZIP压缩包")
        uploads.checked_type(data, PDF, limits.MATERIAL_BYTES)
    except InvalidInput as exc:
        return FileResult(item.name, REFUSED, str(exc))
    if item.unmatched:
        return FileResult(item.name, UNMATCHED, item.unmatched)
    apps = candidates.get(item.id_number, [])
    if not apps:
        return FileResult(item.name, UNMATCHED, NO_APPLICATION)
    if len(apps) > 1:
        return FileResult(item.name, UNMATCHED, SEVERAL.format(n=len(apps)))
    app = apps[0]
    digest = hashlib.sha256(data).hexdigest()
    if digest in known.setdefault(app.id, set()):
        return FileResult(item.name, DUPLICATE, "该申请已有内容相同的申报材料，未重复保存", app)
    known[app.id].add(digest)
    item.data = data
    return FileResult(item.name, MATCHED, "", app)
