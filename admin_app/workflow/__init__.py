"""The workflow: states (``states``), transitions as data (``table``), the one writer (``engine``) and one
module per stage on top of them (``registrations``, …).

    from admin_app import workflow
    workflow.confirm_registrations(actor, ids)
    workflow.apply(actor, workflow.registrations.CONFIRM, ids)

Attribute access is forwarded to ``api`` (which imports the stages) on first use, so that ``models`` can
import ``admin_app.workflow.states`` without importing the stages, which import ``models``.
"""

import importlib


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    api = importlib.import_module("admin_app.workflow.api")
    try:
        return getattr(api, name)
    except AttributeError:
        raise AttributeError(f"module 'admin_app.workflow' has no attribute {name!r}") from None
