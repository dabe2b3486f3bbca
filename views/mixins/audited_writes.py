"""What every save and delete goes through: Chinese uniqueness messages, the archived-batch refusal, the
``before_save`` hook, an audit row with what changed (secrets left out), and 删除所选 within scope."""

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.validators import Unique
from sqlalchemy import inspect as sa_inspect
from wtforms.validators import ValidationError

from admin_app.extensions import db
from admin_app.services import audit
from views.actor import current_actor
from views.mixins.scope import archived_lock, parse_ids

# Never written to the audit log's change details.
_SECRET_FIELDS = {"password_hash", "token_hash"}


class AuditedWritesMixin:
    # field name -> the Chinese message for Flask-Admin's automatic uniqueness check.
    unique_messages: dict = {}

    def scaffold_form(self):
        form_class = super().scaffold_form()
        for name, field in vars(form_class).items():
            for validator in getattr(field, "kwargs", {}).get("validators", []):
                if isinstance(validator, Unique):
                    validator.message = self.unique_messages.get(name, "该值已存在，不能重复")
        return form_class

    def on_model_change(self, form, model, is_created):
        # Checks query the database; a premature autoflush of the half-built row must not happen.
        with db.session.no_autoflush:
            if reason := archived_lock(model):  # also a new row placed in an archived batch
                raise ValidationError(reason)
            self.before_save(form, model, is_created)
            changes = {} if is_created else _changes(model)
            audit.record(
                "create" if is_created else "update",
                model,
                user=current_actor(),
                object_type=self.model.__name__,
                detail=changes or None,
            )

    def before_save(self, form, model, is_created) -> None:
        """Hook for subclasses: set owners, check cross-field rules (raise ValidationError in Chinese)."""

    def on_model_delete(self, model):
        audit.record(
            "delete",
            model,
            user=current_actor(),
            object_type=self.model.__name__,
            detail={"repr": str(model)},
        )

    def handle_view_exception(self, exc):
        if isinstance(exc, ValidationError):
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)

    @action("delete", "删除所选", "确定删除所选记录吗？此操作不可恢复。")
    def action_delete(self, ids):
        """Delete the ticked rows that are within scope; rows outside it are silently not there."""
        ids = parse_ids(ids)
        rows = []
        for row in self.get_query().filter(self.model.id.in_(ids)).all():
            reason = self.delete_lock_reason(row)
            if reason:
                flash(f"{row}：{reason}", "error")
            else:
                rows.append(row)
        try:
            for row in rows:
                self.on_model_delete(row)
                db.session.delete(row)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported to the user, nothing half-written
            db.session.rollback()
            if not self.handle_view_exception(exc):  # a database error: a Chinese message, never its SQL
                flash("删除失败，没有删除任何记录。", "error")
            return
        flash(f"已删除 {len(rows)} 条记录", "success")


def _changes(model) -> dict:
    """Field -> [old, new] for the columns the form changed (secrets left out)."""
    state = sa_inspect(model)
    changed = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _SECRET_FIELDS:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changed[attr.key] = [old, new]
    return changed
