"""Who acts, from where, and when: passed explicitly to every service that changes data.

Services never read ``request``, ``current_user`` or ``g``; a view builds the actor from the request
(``views.actor.current_actor``), a command or a test from a user (``Actor.of(user)``).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from admin_app.services import clock


@dataclass(frozen=True)
class Actor:
    user: object
    ip: str | None = None
    now: datetime = field(default_factory=clock.utcnow)  # naive UTC, as stored

    @classmethod
    def of(cls, who) -> "Actor":
        """An actor from an ``Actor`` (returned as is) or a user (no address, now)."""
        return who if isinstance(who, Actor) else cls(who)

    @property
    def role(self) -> str | None:
        return getattr(self.user, "role", None)

    @property
    def organisation_id(self) -> int | None:
        return getattr(self.user, "organisation_id", None)

    @property
    def today(self) -> date:
        """The business date (Beijing by default) of ``now``."""
        return clock.to_beijing(self.now).date()
