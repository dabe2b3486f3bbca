"""Hostile spreadsheets of issue 13 (and a few more), built in memory for the import-limit tests and
``bench/import_limits_bench.py``. Each builder returns the bytes a user could upload (all under 5 MB)."""

import io
import struct
import zipfile

HEADER = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "身份证号码",
    "出生日期",
    "学历",
    "工作单位",
    "报考工种",
    "报考等级",
    "联系电话",
    "是否自愿参加培训",
    "考试类别",
    "备注",
]
SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _column(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text_cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def header_row_xml() -> bytes:
    cells = b"".join(_text_cell(f"{_column(c)}1", h) for c, h in enumerate(HEADER, start=1))
    return b'<row r="1">' + cells + b"</row>"


def _base_workbook() -> dict[str, bytes]:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "考生信息"
    book.active.append(HEADER)
    out = io.BytesIO()
    book.save(out)
    archive = zipfile.ZipFile(out)
    return {name: archive.read(name) for name in archive.namelist()}


def xlsx_with_sheet(chunks, dimension: str | None = "A1:N1", replace: dict | None = None) -> bytes:
    """A valid workbook (the 附表5 header) whose sheet XML is ``<dimension>`` + the given <sheetData> content,
    written chunk by chunk (so a huge sheet costs no memory to build); ``replace`` swaps other parts."""
    parts = _base_workbook()
    parts.update(replace or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name != SHEET:
                archive.writestr(name, data)
        with archive.open(SHEET, "w", force_zip64=False) as sheet:
            sheet.write(SHEET_HEAD)
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for chunk in chunks:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def far_cell(ref: str = "T60000") -> bytes:
    """The header row plus one cell far away (T60000: 5 KB; XFD1048576: the last cell of a sheet), as
    openpyxl writes it: the <dimension> covers it."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "考生信息"
    book.active.append(HEADER)
    book.active[ref] = "x"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _data_rows(first: int, last: int, per: int = 2000):
    for start in range(first, last + 1, per):
        yield b"".join(
            f'<row r="{n}"><c r="A{n}"><v>{n}</v></c>'.encode()
            + _text_cell(f"B{n}", "张三")
            + _text_cell(f"C{n}", "男")
            + _text_cell(f"E{n}", f"500103199001{n % 1000000:06d}")
            + b"</row>"
            for n in range(start, min(last, start + per - 1) + 1)
        )


def many_rows(rows: int = 100_000, dimension: str | None = None) -> bytes:
    """The header and ``rows`` candidate rows; the <dimension> is true unless one is given (a lie)."""
    dimension = dimension or f"A1:N{rows + 1}"
    return xlsx_with_sheet([header_row_xml(), *_data_rows(2, rows + 1)], dimension)


def lying_far_row(row: int = 1_048_576, column: str = "XFD", dimension: str = "A1:N2") -> bytes:
    """Two real rows, the second at the bottom right of the sheet, under a <dimension> that says A1:N2."""
    far = f'<row r="{row}">'.encode() + _text_cell(f"{column}{row}", "x") + b"</row>"
    return xlsx_with_sheet([header_row_xml(), far], dimension)


def zip_bomb(uncompressed_mb: int = 200) -> bytes:
    """A sheet of ``uncompressed_mb`` MB that compresses ~1000:1 (whitespace between rows)."""
    blank = b" " * (1024 * 1024)
    return xlsx_with_sheet([header_row_xml(), *(blank for _ in range(uncompressed_mb))])


def lying_zip_sizes(data: bytes, member: str = SHEET, claimed: int = 1000) -> bytes:
    """``data`` with ``member``'s uncompressed size rewritten to ``claimed`` in the local and central headers
    (a zip that lies about how big its sheet is)."""
    patched = bytearray(data)
    name = member.encode()
    central = patched.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", patched, central + 28)[0]
        if patched[central + 46 : central + 46 + name_length] == name:
            struct.pack_into("<I", patched, central + 24, claimed)
            local = struct.unpack_from("<I", patched, central + 42)[0]
            struct.pack_into("<I", patched, local + 22, claimed)
            return bytes(patched)
        central = patched.find(b"PK\x01\x02", central + 4)
    raise ValueError(member)


def billion_laughs(levels: int = 9) -> bytes:
    """A sheet whose one cell is an entity expanding 10**levels times (a DTD inside the sheet XML)."""
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, levels + 1)
    )
    parts = _base_workbook()
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>&l{levels};</t></is></c></row></sheetData></worksheet>'
    )
    del parts[SHEET]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        archive.writestr(SHEET, sheet)
    return out.getvalue()


def many_styles(count: int = 30_000) -> bytes:
    """A workbook whose styles.xml declares ``count`` cell formats (openpyxl builds an object for each)."""
    import re

    parts = _base_workbook()
    xfs = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' * count
    styles = re.sub(
        r"<cellXfs.*?</cellXfs>", f'<cellXfs count="{count}">{xfs}</cellXfs>', parts["xl/styles.xml"].decode()
    )
    return xlsx_with_sheet([header_row_xml()], replace={"xl/styles.xml": styles.encode()})


def csv_rows(rows: int = 200_000) -> bytes:
    """A CSV with the required headers and ``rows`` short rows (~2.6 MB for 200,000)."""
    head = "序号,姓名,性别,身份证号码,报考工种,报考等级,联系电话\n"
    return (head + "".join(f"{n},张,男,1,a,b,c\n" for n in range(1, rows + 1))).encode("utf-8")


def csv_long_line(chars: int = 4 * 1024 * 1024) -> bytes:
    return ("姓名,性别,身份证号码,报考工种,报考等级,联系电话\n" + "a" * chars + "\n").encode()


def big_xls(rows: int = 65_536) -> bytes:
    """A .xls (BIFF8, xlwt) with the header and ``rows`` - 1 rows of three cells; .xls holds at most 65,536."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("考生信息")
    for c, h in enumerate(HEADER):
        sheet.write(0, c, h)
    for r in range(1, rows):
        row = sheet.row(r)
        row.write(0, r)
        row.write(1, "张三")
        row.write(4, "500103199001011234")
        if r % 1000 == 0:
            sheet.flush_row_data()
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def far_cell_xls(row: int = 65_535, col: int = 255) -> bytes:
    """A .xls with the header and one cell at the sheet's last row and column (IV65536)."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("考生信息")
    for c, h in enumerate(HEADER):
        sheet.write(0, c, h)
    sheet.write(row, col, "x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# name → (builder, what the refusal says), shared by the tests and the benchmark
ATTACKS = {
    "T60000 (5 KB)": (lambda: far_cell("T60000"), "数据区域到第60000行"),
    "XFD1048576": (lambda: far_cell("XFD1048576"), "数据区域到第1048576行"),
    "100,000-row xlsx": (lambda: many_rows(100_000), "一次最多导入20000行"),
    "lying <dimension> A1:T10, 100,000 rows": (lambda: many_rows(100_000, "A1:T10"), "一次最多导入20000行"),
    "lying <dimension>, one cell at XFD1048576": (lambda: lying_far_row(), "一次最多导入20000行"),
    "zip bomb (100 MB sheet)": (lambda: zip_bomb(100), "解压后超过64MB"),
    "zip bomb lying about its size": (lambda: lying_zip_sizes(zip_bomb(100)), "无法读取该Excel文件"),
    "30,000 styles": (lambda: many_styles(30_000), "格式（样式）或其他内容过多"),
    "billion laughs (entity expansion)": (lambda: billion_laughs(), "无法读取该Excel文件"),
    "200,000-row CSV": (lambda: csv_rows(200_000), "一次最多导入20000行"),
    "CSV with a 4 MB line": (lambda: csv_long_line(), "超过10000个字符"),
    "65,536-row .xls": (lambda: big_xls(65_536), "一次最多导入20000行"),
    ".xls with one cell at IV65536": (lambda: far_cell_xls(), "一次最多导入20000行"),
}
