"""Form helpers shared by the account forms and the admin views: domain validators, input filters."""

import unicodedata
from contextlib import contextmanager
from datetime import date

from wtforms import Field
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

from admin_app.services.validators import InvalidInput, normalise_code, read_month

REQUIRED = "此项为必填项"


@contextmanager
def form_error():
    """A service's ``InvalidInput`` raised inside the block becomes the form's error (its Chinese message):
    for the views' ``before_save``, which only hand the model to a use case's check."""
    try:
        yield
    except InvalidInput as exc:
        raise ValidationError(str(exc)) from None


def domain_validator(check):
    """Wrap a validators-service function (raising InvalidInput) as a WTForms field validator."""

    def validator(form, field):
        if field.data in (None, ""):
            return
        try:
            check(field.data)
        except InvalidInput as exc:
            raise ValidationError(str(exc)) from None

    return validator


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def code_filter(value):
    """Normalise codes typed with full-width digits, spaces or a lower-case x."""
    return normalise_code(value) if isinstance(value, str) else value


def email_filter(value):
    """An e-mail address as typed: full-width characters folded, spaces around it dropped; empty is None."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFKC", value).strip() or None


class MonthField(Field):
    """A month as people write it (1970-09, 1970.9, 1970年9月, 1970/9, or a full date), read by the one month
    parser (``validators.read_month``). ``data`` is the month's first day; ``typed`` keeps what was written
    (with the day, if one was), for checks such as 出生年月 against the ID number. A stored date of the same
    month is kept as it is, so saving a form unchanged changes nothing. Shown as YYYY-MM."""

    widget = TextInput()
    display_format = "%Y-%m"

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {
            "placeholder": "如 1970-09",
            "autocomplete": "off",
            **(kwargs.pop("render_kw", None) or {}),
        }
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.typed = None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime(self.display_format) if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        try:
            self.typed = read_month(valuelist[0])
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None
        if self.typed is None:
            return
        stored = self.object_data
        same_month = isinstance(stored, date) and stored.replace(day=1) == self.typed.month
        unchanged = same_month and self.typed.day in (None, stored)
        self.data = stored if unchanged else self.typed.month

    def pre_validate(self, form):
        # An unreadable value: its own message only, not the 必填 of a required field that then sees no data.
        if self.process_errors:
            raise StopValidation()
