"""The actor of the current request, for the services (which never read the request themselves)."""

from flask import has_request_context, request
from flask_login import current_user

from admin_app.actor import Actor
from admin_app.services import clock


def current_actor() -> Actor:
    """Who is logged in, from which address, now."""
    return Actor(current_user._get_current_object(), request.remote_addr, clock.utcnow())


def request_actor() -> Actor | None:
    """The current request's actor — its user only when logged in — or None outside a request. The app
    installs it as ``audit.default_actor``: what an audit row names when its caller gives no actor."""
    if not has_request_context():
        return None
    user = current_user._get_current_object() if current_user and current_user.is_authenticated else None
    return Actor(user, request.remote_addr, clock.utcnow())
