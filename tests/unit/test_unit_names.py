"""Unit names: one written form, one key for "the same unit" (no Flask, no database)."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admin_app.services.unit_names import normalise_unit_name, unit_name_key

SAME_AS_EDUCATION_COMMISSION = [
    "重庆市教育委员会",
    "重庆市教育委员会\u200b",  # zero-width space
    "\ufeff重庆市\u200d教育委员会",  # BOM, zero-width joiner
    "重庆市\u2060教育\u200e委员会",  # word joiner, left-to-right mark
    "重庆市教育委员会\u00ad",  # soft hyphen
    "重庆市教育委员会\ufe0f",  # variation selector
    "重庆市\u3164教育委员会",  # Hangul filler (renders as nothing)
    "  重庆市  教育委员会 ",  # spaces around and inside
    "重庆市\u3000教育委员会",  # ideographic (full-width) space
    "重庆市\t教育\n委员会",  # tab, newline
    "重庆市\x00教育委员会\x7f",  # NUL, DEL
    "重庆市\u202e教育委员会",  # right-to-left override
]


@pytest.mark.parametrize("variant", SAME_AS_EDUCATION_COMMISSION)
def test_invisible_and_space_variants_share_one_key(variant):
    assert unit_name_key(variant) == unit_name_key("重庆市教育委员会")


def test_full_width_forms_and_brackets_share_one_key():
    assert unit_name_key("重庆市第１中学（ＡＢＣ校区）") == unit_name_key("重庆市第1中学(abc校区)")
    assert unit_name_key("甲单位(渝中)") == unit_name_key("甲单位（渝中）")


def test_different_names_have_different_keys():
    assert unit_name_key("重庆市教育委员会") != unit_name_key("重庆市教育考试院")
    assert unit_name_key("重庆市第1中学") != unit_name_key("重庆市第11中学")


def test_the_written_form():
    assert normalise_unit_name("  重庆市\u200b第１中学\u3000 (南校区)\x00 ") == "重庆市第1中学 （南校区）"
    assert normalise_unit_name("\u200b\ufeff \u2060") == ""
    assert unit_name_key("\u200b") is None and unit_name_key(None) is None


@given(st.text(max_size=60))
def test_the_written_form_is_stable_and_shows_no_hidden_characters(text):
    written = normalise_unit_name(text)
    assert normalise_unit_name(written) == written
    assert written == written.strip() and "  " not in written
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in written)
    assert unit_name_key(written) == unit_name_key(text)
