"""The input limits as plain functions: ids, numbers for a column, search caps, control characters, and
which database errors are which."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from admin_app.errors import CONFLICT, DATA, FAILURE, UNAVAILABLE, database_error_kind
from admin_app.request_guard import (
    INT_MAX,
    SEARCH_MAX_CHARS,
    SEARCH_MAX_TERMS,
    cap_search,
    has_control_characters,
    number_fits,
    parse_pk,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1", 1),
        (" 42 ", 42),
        (str(INT_MAX), INT_MAX),
        (str(INT_MAX + 1), None),
        ("99999999999999999999", None),
    ]
    + [("0", None), ("-1", None), ("abc", None), ("", None), (None, None), ("1.5", None), ("1e3", None)],
)
def test_parse_pk_takes_only_ids_an_integer_column_can_hold(raw, expected):
    assert parse_pk(raw) == expected


def test_numbers_must_fit_their_column():
    integer, small, big = sa.Column(sa.Integer), sa.Column(sa.SmallInteger), sa.Column(sa.BigInteger)
    score = sa.Column(sa.Numeric(4, 1))
    assert number_fits(2**31 - 1, integer) and not number_fits(2**31, integer)
    assert number_fits(-(2**31), integer) and not number_fits(-(2**31) - 1, integer)
    assert not number_fits(2**15, small) and number_fits(2**40, big) and not number_fits(2**63, big)
    assert number_fits(Decimal("999.9"), score) and not number_fits(Decimal("1000"), score)
    assert not number_fits(Decimal("999.96"), score)  # rounds to 1000.0: numeric field overflow
    assert not number_fits(float("inf"), score) and not number_fits(Decimal("NaN"), None)
    assert number_fits(2**31 - 1) and not number_fits(2**31)  # no column: an integer
    assert number_fits("99999999999999999999") and number_fits(True) and number_fits(None)


def test_search_is_capped_in_words_and_characters():
    assert cap_search("张三 李四") == ("张三 李四", False)
    assert cap_search(None) == (None, False)
    words = " ".join(f"w{i}" for i in range(2000))
    capped, cut = cap_search(words)
    assert cut and capped.split() == [f"w{i}" for i in range(SEARCH_MAX_TERMS)]
    capped, cut = cap_search("长" * 10_000)
    assert cut and len(capped) == SEARCH_MAX_CHARS


@pytest.mark.parametrize("text", ["a\x00b", "\x01", "\x1b[2J", "\x7f", "\x85", "x\x0bx"])
def test_control_characters_are_found(text):
    assert has_control_characters(text)


@pytest.mark.parametrize("text", ["张三", "line\nbreak\r\n", "tab\there", "１２３", "🙂", ""])
def test_ordinary_text_is_not_a_control_character(text):
    assert not has_control_characters(text)


def _wrapped(cls, **kw):
    return cls("SELECT 1", {}, Exception("driver"), **kw)


def test_database_errors_are_classified():
    assert database_error_kind(_wrapped(sa_exc.OperationalError)) == UNAVAILABLE
    assert database_error_kind(_wrapped(sa_exc.InterfaceError)) == UNAVAILABLE
    assert database_error_kind(_wrapped(sa_exc.ProgrammingError, connection_invalidated=True)) == UNAVAILABLE
    assert database_error_kind(_wrapped(sa_exc.DataError)) == DATA
    assert database_error_kind(_wrapped(sa_exc.IntegrityError)) == CONFLICT
    assert database_error_kind(_wrapped(sa_exc.ProgrammingError)) == FAILURE
    assert database_error_kind(OverflowError("Python int too large to convert to SQLite INTEGER")) == DATA
    assert database_error_kind(OverflowError("math range error")) is None
    assert database_error_kind(ValueError("x")) is None


def test_psycopg_errors_raised_outside_sqlalchemy_are_classified():
    psycopg = pytest.importorskip("psycopg")
    assert database_error_kind(psycopg.OperationalError("server closed the connection")) == UNAVAILABLE
    assert database_error_kind(psycopg.InterfaceError("connection is closed")) == UNAVAILABLE
    assert database_error_kind(psycopg.errors.QueryCanceled("statement timeout")) == UNAVAILABLE
    assert database_error_kind(psycopg.DataError("NUL")) == DATA
    assert database_error_kind(psycopg.errors.UniqueViolation("dup")) == CONFLICT
    assert database_error_kind(psycopg.ProgrammingError("syntax")) == FAILURE
