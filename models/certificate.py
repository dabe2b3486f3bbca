"""证书查验 (issue 18): the random value behind a certificate's QR link, and the public look-ups counted per
client address (the limiter lives in the database, so every app server counts the same look-ups)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.extensions import db
from models.org import utcnow


class CertificateLink(db.Model):
    """One per certificate (a recognised registration), made when its PDF is first made: ``token`` is random
    (never derived from the id or the number); the QR link carries it with its keyed signature."""

    __tablename__ = "certificate_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id"), unique=True)
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertificateLookup(db.Model):
    """One public 证书查验 request (QR link or form), by client address: the rate limit counts these."""

    __tablename__ = "certificate_lookup"
    __table_args__ = (sa.Index("ix_certificate_lookup_address", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
