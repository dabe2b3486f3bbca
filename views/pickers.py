"""The scopes of the relation pickers the views share (``scoped_relations``): each takes the query of the
related model and returns the rows offered, in the order shown."""

from flask_login import current_user

from admin_app.workflow.states import BatchState
from models import ExamBatch, Jurisdiction, Trade, Worker


def active_trades(query):
    """工种 still in use, grouped by category."""
    return query.filter_by(active=True).order_by(Trade.category, Trade.name)


def active_jurisdictions(query):
    """区县 still in use (not merged away), in the official order."""
    return query.filter_by(active=True).order_by(Jurisdiction.sort_order, Jurisdiction.id)


def open_batches(query):
    """Batches taking applications now, newest first."""
    return query.filter(ExamBatch.state == BatchState.OPEN).order_by(ExamBatch.year.desc())


def writable_batches(query):
    """Batches not archived (an archived batch is read-only for everyone), newest first."""
    return query.filter(ExamBatch.state != BatchState.ARCHIVED).order_by(ExamBatch.year.desc())


def own_workers(query):
    """The logged-in unit's own workers, by name."""
    return query.filter(Worker.unit_id == current_user.organisation_id).order_by(Worker.name)
