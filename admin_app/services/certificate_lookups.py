"""The rate limit of the public 证书查验: look-ups per client address within a window, counted in the
database (``certificate_lookup`` rows), so that every app server counts the same look-ups and a test sees
exactly what it did.

A look-up is written first and the window counted after, so concurrent requests of one address see each
other (no burst slips through between a count and an insert); rows older than the window are removed as
new ones come.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from admin_app.extensions import db
from models import CertificateLookup

ADDRESS_MAX = 64


@dataclass(frozen=True)
class Limit:
    most: int  # look-ups of one address
    window: timedelta

    @classmethod
    def from_config(cls, config) -> "Limit":
        return cls(
            config["CERTIFICATE_LOOKUP_MAX"],
            timedelta(minutes=config["CERTIFICATE_LOOKUP_WINDOW_MINUTES"]),
        )


def allow(address: str | None, now: datetime, limit: Limit) -> bool:
    """Record one look-up of ``address`` and say whether it is within the limit; commits."""
    address = (address or "unknown")[:ADDRESS_MAX]
    since = now - limit.window
    db.session.execute(sa.delete(CertificateLookup).where(CertificateLookup.at < since))
    db.session.add(CertificateLookup(address=address, at=now))
    db.session.flush()
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CertificateLookup)
        .where(CertificateLookup.address == address, CertificateLookup.at >= since)
    )
    db.session.commit()
    return count <= limit.most
