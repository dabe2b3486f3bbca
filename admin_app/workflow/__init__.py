"""The workflow: states (``states``), transitions as data (``table``), the one writer (``engine``) and one
module per stage on top of them (``registrations``, …).

    from admin_app import workflow
    workflow.confirm_registrations(actor, ids)
    workflow.apply(actor, workflow.registrations.CONFIRM, ids)

Attribute access is forwarded to ``api`` (which imports the stages) on first use, so that ``models`` can
import ``admin_app.workflow.states`` without importing the stages, which import ``models``.
"""

import importlib
import importlib.util

# The models read the states at class definition and the states read ``models.enums``: loading the models
# first (they import ``states`` in turn) lets ``from admin_app.workflow.states import …`` come first anywhere.
import models  # noqa: E402,F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        # ``from admin_app.workflow import engine`` inside a stage: the submodule, not ``api`` (which would
        # import the stage that is being imported)
        return importlib.import_module(f"{__name__}.{name}")
    api = importlib.import_module("admin_app.workflow.api")
    try:
        return getattr(api, name)
    except AttributeError:
        raise AttributeError(f"module 'admin_app.workflow' has no attribute {name!r}") from None
