"""The actor of the current request, for the services (which never read the request themselves)."""

from flask import request
from flask_login import current_user

from admin_app.actor import Actor
from admin_app.services import clock


def current_actor() -> Actor:
    """Who is logged in, from which address, now."""
    return Actor(current_user._get_current_object(), request.remote_addr, clock.utcnow())
