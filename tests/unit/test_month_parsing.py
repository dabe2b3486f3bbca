"""The one month parser: months as people write them (出生年月, 参加工作时间, 毕业时间, 工作简历, the 附表5 column)."""

from datetime import date, datetime

import pytest

from admin_app.services.candidate_import import read_birth
from admin_app.services.validators import (
    InvalidInput,
    TypedMonth,
    check_resident_id_agrees,
    parse_month,
    read_month,
)
from tests.factories import make_id_number

SEPTEMBER_1970 = date(1970, 9, 1)


@pytest.mark.parametrize(
    "written",
    [
        "1970-09",
        "1970-9",
        "1970.9",
        "1970.09",
        "1970年9月",
        "1970年09月",
        "1970年9月份",
        "1970/9",
        "1970/09",
        "197009",
        " 1970 年 9 月 ",
        "１９７０．９",  # full-width digits and dot
        "１９７０年９月",
    ],
)
def test_each_written_month_is_read_as_its_first_day(written):
    typed = read_month(written)
    assert typed == TypedMonth(SEPTEMBER_1970, None)
    assert parse_month(written) == SEPTEMBER_1970


@pytest.mark.parametrize(
    "written",
    [
        "1970-09-15",
        "1970-9-15",
        "1970/9/15",
        "1970.09.15",
        "1970年9月15日",
        "1970年9月15",
        "19700915",
        "1970-09-15 00:00:00",
    ],
)
def test_full_dates_are_read_as_their_month_keeping_the_day(written):
    typed = read_month(written)
    assert typed.month == SEPTEMBER_1970
    assert typed.day == date(1970, 9, 15)


def test_october_is_not_read_as_january():
    assert parse_month("1970.10") == date(1970, 10, 1)
    assert parse_month("1970.1") == date(1970, 1, 1)


def test_dates_and_datetimes_are_months_with_their_day():
    assert read_month(date(1970, 9, 15)) == TypedMonth(SEPTEMBER_1970, date(1970, 9, 15))
    assert read_month(datetime(1970, 9, 15, 8, 30)) == TypedMonth(SEPTEMBER_1970, date(1970, 9, 15))


@pytest.mark.parametrize("empty", [None, "", "   ", "\u3000"])
def test_empty_is_none(empty):
    assert read_month(empty) is None
    assert parse_month(empty) is None


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1970", "年月格式不正确，可填 1970-09、1970.9、1970年9月、1970/9 或完整日期 1970-09-15"),
        ("70-09", "年月格式不正确"),
        ("九月", "年月格式不正确"),
        ("1970-09-15-01", "年月格式不正确"),
        ("1970-9-", "年月格式不正确"),
        ("1970-13", "月份应在1到12之间"),
        ("1970年0月", "月份应在1到12之间"),
        ("1970-02-30", "日期不存在（1970年2月没有30日）"),
        ("1850-01", "年份应在1900到2100之间"),
    ],
)
def test_wrong_input_says_which_forms_are_accepted(written, message):
    with pytest.raises(InvalidInput) as caught:
        read_month(written)
    assert message in str(caught.value)


def test_a_month_agrees_with_a_date_of_that_month_a_full_date_only_with_its_day():
    born = date(1970, 9, 15)
    assert read_month("1970-09").agrees_with(born)
    assert not read_month("1970-08").agrees_with(born)
    assert read_month("1970-09-15").agrees_with(born)
    assert not read_month("1970-09-16").agrees_with(born)


def test_birth_month_is_checked_against_the_id_number():
    number = make_id_number("500103", date(1970, 9, 15), 23, "M")
    assert check_resident_id_agrees(number, read_month("1970年9月"), "M").birth_date == date(1970, 9, 15)
    with pytest.raises(InvalidInput, match=r"出生年月与身份证号码不一致（身份证为1970\.09）"):
        check_resident_id_agrees(number, read_month("1970-10"), "M")
    with pytest.raises(InvalidInput, match="出生日期与身份证号码不一致（身份证为1970-09-15）"):
        check_resident_id_agrees(number, read_month("1970-09-16"), "M")
    # A plain date is still compared by its day.
    with pytest.raises(InvalidInput, match="出生日期与身份证号码不一致"):
        check_resident_id_agrees(number, date(1970, 9, 1), "M")


def test_import_cells_read_by_the_same_parser():
    assert read_birth("1995年6月") == [TypedMonth(date(1995, 6, 1))]
    assert read_birth(None) == [] and read_birth("") == []
    # Excel turns 1995年6月 typed into a cell into the date 1995-06-01: read as the month.
    assert read_birth(datetime(1995, 6, 1)) == [TypedMonth(date(1995, 6, 1))]
    assert read_birth(datetime(1995, 6, 15)) == [TypedMonth(date(1995, 6, 1), date(1995, 6, 15))]
    # Excel keeps 1970.10 typed into a General cell as the number 1970.1: either month.
    assert [t.month for t in read_birth(1970.1)] == [date(1970, 1, 1), date(1970, 10, 1)]
    assert [t.month for t in read_birth(1970.09)] == [SEPTEMBER_1970]
    assert [t.month for t in read_birth(197009)] == [SEPTEMBER_1970]
    with pytest.raises(InvalidInput, match="年月格式不正确"):
        read_birth("六月")
