"""Who may open a view and each of its endpoints.

Logged-in, active users whose role is in ``read_roles`` read; ``write_roles`` create, edit and delete
(as far as ``allow_*`` permit); ``endpoint_roles`` and ``action_roles`` name the roles of custom endpoints
and bulk actions. Everything is checked in ``_handle_view``, which Flask-Admin runs before every exposed
endpoint (list, edit, action, export, ajax), so a hidden button is never the only protection.

CSRF: Flask-WTF's ``CSRFProtect`` checks every POST of the app (the list's action form carries its token);
no form class adds a second token here (two ``csrf_token`` fields break saves, FLASK_ADMIN_NOTES).
"""

from flask import abort, redirect, request, url_for
from flask_login import current_user

from views.mixins.scope import parse_ids

# Endpoint -> the permission flag it needs, checked before the view runs (403 otherwise).
_ENDPOINT_FLAGS = {
    "create_view": "can_create",
    "edit_view": "can_edit",
    "ajax_update": "can_edit",
    "delete_view": "can_delete",
    "details_view": "can_view_details",
    "export": "can_export",
}


def current_role() -> str | None:
    if current_user and current_user.is_authenticated:
        return current_user.role
    return None


class RoleGate:
    """Access by role for any Flask-Admin view: only active users whose role is in ``read_roles``;
    anonymous users are sent to the login page, others get 403."""

    read_roles: frozenset = frozenset()

    def is_accessible(self) -> bool:
        return bool(
            current_user.is_authenticated and current_user.is_active and current_role() in self.read_roles
        )

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class AccessMixin(RoleGate):
    """Declare ``read_roles`` / ``write_roles``; ``allow_*`` switch writing off for everyone."""

    write_roles: frozenset = frozenset()
    allow_create = True
    allow_edit = True
    allow_delete = True
    # action name -> roles that may run it ('delete' follows can_delete).
    action_roles: dict = {}
    # custom endpoint name -> roles that may call it (others get 403), checked before the view runs.
    endpoint_roles: dict = {}

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        flag = _ENDPOINT_FLAGS.get(name)
        if flag and not getattr(self, flag):
            abort(403)
        if name in self.endpoint_roles and current_role() not in self.endpoint_roles[name]:
            abort(403)
        return None

    def _may_write(self) -> bool:
        return current_role() in self.write_roles

    def get_list_row_actions(self):
        """The row icons, without those whose endpoint the current role may not call (no icon answers 403)."""
        role = current_role()
        return [
            action
            for action in super().get_list_row_actions()
            if role in self.endpoint_roles.get((getattr(action, "endpoint", None) or "").lstrip("."), (role,))
        ]

    @property
    def can_create(self) -> bool:
        return self.allow_create and self._may_write()

    @property
    def can_edit(self) -> bool:
        return self.allow_edit and self._may_write()

    @property
    def can_delete(self) -> bool:
        return self.allow_delete and self._may_write()

    def is_action_allowed(self, name: str) -> bool:
        return self.is_action_allowed_for(name, current_role())

    def is_action_allowed_for(self, name: str, role) -> bool:
        """Whether ``role`` may run the bulk action ``name`` in this view (without a request, for tests)."""
        if name == "delete":
            return self.allow_delete and role in self.write_roles
        return role in self.action_roles.get(name, ())

    def handle_action(self, return_view=None):
        """A bulk action: refused (403) unless the role may run it; ids that are no possible key are a 400."""
        action = request.form.get("action")
        if action not in self._actions_data or not self.is_action_allowed(action):
            abort(403)
        parse_ids(request.form.getlist("rowid"))
        return super().handle_action(return_view)
