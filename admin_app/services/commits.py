"""Which commits of a request saved the person's work, for the page shown when the database goes away
afterwards: "not saved" must never be said of saved work, and "saved" never of bookkeeping alone.

Every commit inside a request marks it as saved, except the bookkeeping commits wrapped in
:func:`bookkeeping` (a session's "last seen" time, a failed-login count): those are not the work the
person asked for.
"""

from contextlib import contextmanager

from flask import g, has_request_context, request


def _note_commit(session) -> None:
    if has_request_context() and not g.get("gk_bookkeeping"):
        g.gk_committed = True


@contextmanager
def bookkeeping():
    """Commits inside this block do not count as the request's work."""
    if not has_request_context():
        yield
        return
    previous = g.get("gk_bookkeeping", False)
    g.gk_bookkeeping = True
    try:
        yield
    finally:
        g.gk_bookkeeping = previous


def work_saved_in_this_request() -> bool:
    """True once a POST has committed work of its own in this request."""
    return has_request_context() and request.method == "POST" and bool(g.get("gk_committed"))


def install() -> None:
    """Listen to every session's commits (once per process)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)
