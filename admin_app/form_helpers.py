"""Form helpers shared by the account forms and the admin views: domain validators, input filters."""

from contextlib import contextmanager

from wtforms.validators import ValidationError

from admin_app.services.validators import InvalidInput, normalise_code

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
