"""Property-based tests: validators and the 附表5 parser never crash on any input and agree with the rules."""

import contextlib
import io
from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc

from admin_app.services import candidate_import
from admin_app.services.validators import (
    InvalidInput,
    normalise_code,
    parse_resident_id,
    resident_check_digit,
    validate_credit_code,
)

PROVINCES = ["11", "31", "44", "50", "51", "65"]


@st.composite
def resident_ids(draw):
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    body = draw(st.sampled_from(PROVINCES)) + draw(st.text("0123456789", min_size=4, max_size=4))
    body += f"{birth:%Y%m%d}" + draw(st.text("0123456789", min_size=3, max_size=3))
    return body + resident_check_digit(body), birth


@given(resident_ids())
def test_every_well_formed_id_is_accepted_with_its_birth_date(value):
    number, birth = value
    parsed = parse_resident_id(number)
    assert parsed.number == number and parsed.birth_date == birth
    assert parsed.gender == ("M" if int(number[16]) % 2 else "F")
    # Full-width digits, spaces and a lower-case x are the same number.
    fancy = " ".join(number).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).lower()
    assert parse_resident_id(fancy).number == number


@given(resident_ids(), st.integers(0, 16), st.sampled_from("0123456789"))
def test_a_changed_digit_is_caught_by_the_check_digit(value, position, digit):
    number, _birth = value
    if number[position] == digit:
        return
    changed = number[:position] + digit + number[position + 1 :]
    try:
        parsed = parse_resident_id(changed)
    except InvalidInput:
        return
    # Only possible if the change kept the check digit valid: GB 11643 catches every single-digit change.
    raise AssertionError(f"{changed} accepted as {parsed}")


@given(st.text(max_size=40))
def test_any_text_is_either_a_valid_id_or_a_chinese_message(text):
    try:
        parsed = parse_resident_id(text)
    except InvalidInput as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))
    else:
        assert len(parsed.number) == 18 and resident_check_digit(parsed.number[:17]) == parsed.number[17]


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_credit_codes_with_their_check_character_are_accepted(body):
    try:
        check = uscc.calc_check_digit(body)
    except Exception:  # noqa: BLE001 - stdnum refuses some bodies outright
        return
    code = body + check
    try:
        assert validate_credit_code(code.lower()) == code
    except InvalidInput:
        # stdnum also checks the embedded organisation code; a refusal must then be stdnum's too.
        assert not uscc.is_valid(code)


@given(st.text(max_size=60))
def test_credit_code_never_crashes(text):
    with contextlib.suppress(InvalidInput):
        validate_credit_code(text)


@given(st.text(max_size=30))
@example("ß´")  # upper-casing after the last normalisation left SS + a mark that composes to SŚ
def test_normalise_is_idempotent(text):
    once = normalise_code(text)
    assert normalise_code(once) == once and " " not in once


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_the_import_reader_refuses_garbage_in_chinese_or_reads_it(data):
    try:
        parsed = candidate_import.read_file(data)
    except candidate_import.ImportRefused as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))
    else:
        assert parsed.kind in ("csv", "xlsx", "xls")


cell_values = st.one_of(
    st.none(),
    st.text(max_size=25),
    st.integers(-(10**6), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=date(1900, 1, 1)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_values, min_size=14, max_size=14), max_size=8))
def test_any_cells_under_the_template_header_parse_without_crashing(rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(candidate_import.HEADERS)
    for row in rows:
        sheet.append([None if isinstance(v, str) and any(ord(c) < 32 for c in v) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    parsed = candidate_import.read_file(out.getvalue())
    for row in parsed.rows:
        for value in row.values.values():
            candidate_import.clean_text(value)
        try:
            candidate_import.read_birth(row.values.get("出生日期"))
        except ValueError as exc:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))
        with contextlib.suppress(ValueError):
            candidate_import.parse_grade(row.values.get("报考等级"))
