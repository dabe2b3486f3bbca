"""A view's name that depends on who reads it (成绩录入 for the centre that enters scores, 成绩查询 for everyone
else). Flask-Admin keeps one ``name`` per view and copies it into the menu once; this object is that name, and
the menu, the page title, the list and details headings and the export's file and sheet name read it in the
request with ``str()`` (Jinja escapes it through ``__html__``)."""

from flask import has_request_context
from flask_login import current_user
from markupsafe import escape


class RoleName:
    """``default``, or the name of the first ``(name, roles)`` pair whose roles include the current user's."""

    def __init__(self, default: str, *by_roles: tuple[str, frozenset]):
        self.default = default
        self.by_roles = by_roles

    def for_role(self, role) -> str:
        for name, roles in self.by_roles:
            if role in roles:
                return name
        return self.default

    def __str__(self) -> str:
        role = None
        if has_request_context() and current_user.is_authenticated:
            role = current_user.role
        return self.for_role(role)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"RoleName({self.default!r}, {self.by_roles!r})"
