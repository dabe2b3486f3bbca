"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import gc

from admin_app import create_app

app = create_app()

# Everything loaded so far (the app, its views, templates, metadata) lives as long as the process: keep it
# out of the garbage collector's scans, which otherwise add pauses of several ms to random requests.
gc.freeze()
