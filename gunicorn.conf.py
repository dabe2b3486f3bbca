"""gunicorn settings (`gunicorn -c gunicorn.conf.py wsgi:app`); every value can be set from the environment."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # long exports
graceful_timeout = 30
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
