"""Unit names: one written form, and one key under which two names are "the same unit".

Plain functions over strings (no Flask, no database), used by the model (every assignment of
``Organisation.name``), the forms (before their validators run) and the migration that cleaned the
names already stored.
"""

import re
import unicodedata

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties): characters that render as nothing. Most
# are category Cf (zero-width space U+200B, joiners, bidi marks, U+2060, U+FEFF …), which is removed
# anyway; the others (Hangul fillers, variation selectors, the combining grapheme joiner) are letters or
# marks that would let "重庆市教育委员会" and an invisible variant of it pass as two names.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Control, format, surrogate and private-use characters: nothing a name is written with.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_SPACES = re.compile(r"\s+")
# NFKC turns the full-width brackets of Chinese names into ASCII ones; names are written with （）.
_BRACKETS = str.maketrans({"(": "（", ")": "）"})

NAME_MAX_LENGTH = 100  # Organisation.name


def normalise_unit_name(value: str | None) -> str:
    """The written form of a unit name: NFKC (full-width letters and digits folded), with every
    invisible, control and format character removed, whitespace trimmed and each inner run of
    whitespace made one space, and brackets written as （）. Idempotent; never raises."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _SPACES.sub(" ", text)  # before the control characters go: a tab or newline was a space
    text = _IGNORABLE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _REMOVED_CATEGORIES)
    text = _SPACES.sub(" ", text).strip()
    return text.translate(_BRACKETS)


def unit_name_key(value: str | None) -> str | None:
    """The key two names share when they name the same unit: the written form without any space and
    case-folded ("重庆市 教育委员会", "重庆市教育委员会\u200b" and "重庆市教育委员会" share one key).
    None for an empty name."""
    text = normalise_unit_name(value).replace(" ", "").casefold()
    return text or None


def unit_name_filter(value):
    """WTForms filter: the written form, so that "required" and length checks see what will be stored."""
    return normalise_unit_name(value) if isinstance(value, str) else value
