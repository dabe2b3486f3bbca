"""The link a certificate's QR code carries (SPEC §8.5): ``/verify/<token>``, where the token is a random
value kept for that certificate (``CertificateLink``) followed by its keyed signature (HMAC-SHA256 with
``CERTIFICATE_LINK_KEY``, truncated to 128 bits).

Guarantees: the link says nothing about the certificate (no id, number or name in it); it cannot be
enumerated (the value is 144 random bits) nor forged or altered (the signature is checked in constant time
before the database is asked); a token that fails either check is reported exactly as an unknown one
(``registration_id_for`` answers None). Changing the key invalidates every printed link (docs/operations.md).
"""

import base64
import hashlib
import hmac
import re
import secrets

import sqlalchemy as sa

from admin_app.extensions import db
from models import CertificateLink

SALT = b"certificate-link:"
SIGNATURE_BYTES = 16
TOKEN_MAX = 80  # characters of a token worth checking at all
_PART = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signature(key: str, value: str) -> str:
    digest = hmac.new(key.encode(), SALT + value.encode(), hashlib.sha256).digest()
    return _b64(digest[:SIGNATURE_BYTES])


def sign(key: str, value: str) -> str:
    """The token of the random ``value``: ``value.signature``."""
    return f"{value}.{_signature(key, value)}"


def unsign(key: str, token: str) -> str | None:
    """The random value of a well-formed token whose signature is right, else None."""
    if not isinstance(token, str) or len(token) > TOKEN_MAX or token.count(".") != 1:
        return None
    value, signature = token.split(".")
    if not (_PART.match(value) and _PART.match(signature)):
        return None
    if not hmac.compare_digest(signature, _signature(key, value)):
        return None
    return value


def token_for(key: str, registration_id: int) -> str:
    """The signed token of the certificate of ``registration_id``: its random value is made the first time
    (a concurrent first time keeps the one written first) and flushed in the caller's transaction."""
    value = db.session.scalar(
        sa.select(CertificateLink.token).where(CertificateLink.registration_id == registration_id)
    )
    if value is None:
        value = secrets.token_urlsafe(18)  # 24 characters, 144 bits
        try:
            with db.session.begin_nested():
                db.session.add(CertificateLink(registration_id=registration_id, token=value))
        except sa.exc.IntegrityError:
            value = db.session.scalar(
                sa.select(CertificateLink.token).where(CertificateLink.registration_id == registration_id)
            )
    return sign(key, value)


def registration_id_for(key: str, token: str) -> int | None:
    """The registration whose certificate the token names, or None (malformed, forged, altered, unknown)."""
    value = unsign(key, token)
    if value is None:
        return None
    return db.session.scalar(sa.select(CertificateLink.registration_id).where(CertificateLink.token == value))
