"""证书查验 (SPEC §8.5, issue 18 point 4): public, no login. From a certificate's QR link (``/verify/<token>``)
or by certificate number + the last 6 characters of the ID number (the form, CSRF-protected). It shows the
masked name, unit, 工种, 等级, date and 有效 / 已撤销 (with its date) — nothing else — and one neutral message for
every wrong input. Every look-up counts against the client address's limit
(``services/certificate_lookups``), kept in the database so that every app server shares it."""

from flask import Blueprint, current_app, render_template, request

from admin_app.request_guard import refuse_control_characters_in_form
from admin_app.services import certificate_lookups, certificates, clock

bp = Blueprint("verify", __name__, url_prefix="/verify")

NOT_FOUND = "未查询到相符的证书信息，请核对证书编号和身份证号码后六位后重新查询。"
TOO_MANY = "查询过于频繁，请稍后再试。"
FIELD_MAX = certificates.NUMBER_MAX  # the form's inputs are not read beyond this


def _page(*, result=None, message=None, status=200, number=""):
    body = render_template(
        "verify/page.html", result=result, message=message, number=number, field_max=FIELD_MAX
    )
    return body, status


def _allowed() -> bool:
    limit = certificate_lookups.Limit.from_config(current_app.config)
    return certificate_lookups.allow(request.remote_addr, clock.utcnow(), limit)


@bp.route("/", methods=["GET", "POST"])
def form_view():
    """The look-up form; a POST looks the certificate up."""
    if request.method == "GET":
        return _page()
    refuse_control_characters_in_form()
    number = (request.form.get("number") or "")[:FIELD_MAX]
    id_tail = (request.form.get("id_tail") or "")[:FIELD_MAX]
    if not _allowed():
        return _page(message=TOO_MANY, status=429, number=number)
    found = certificates.verify_number(number, id_tail)
    if found is None:
        return _page(message=NOT_FOUND, number=number)
    return _page(result=found)


@bp.route("/<token>", methods=["GET"])
def token_view(token: str):
    """The QR link: the certificate it names, or the neutral message."""
    if not _allowed():
        return _page(message=TOO_MANY, status=429)
    found = certificates.verify_token(current_app.config["CERTIFICATE_LINK_KEY"], token)
    return _page(result=found, message=None if found else NOT_FOUND)


def init_app(app) -> None:
    app.register_blueprint(bp)
