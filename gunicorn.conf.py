"""gunicorn settings (`gunicorn -c gunicorn.conf.py wsgi:app`); every value can be set from the environment.

The defaults are for one 2-core server that also runs PostgreSQL: 2 worker processes × 4 threads (gthread).
bench/throughput.py compares them with 1×8, 3×2, 4×1 (gthread and sync) and with ``--preload``; its results
are in bench/README.md. Each worker's database pool (SQLAlchemy: 5 kept + 10 overflow connections) covers its
threads up to 15.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gthread: a worker's threads share its memory; a list page spends part of its time waiting on PostgreSQL,
# when another thread can run. "sync" (one request per process at a time) needs a process per concurrent
# request.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# Load the app once in the master and fork (wsgi.py freezes the loaded objects out of the garbage collector,
# so the workers share those pages): GUNICORN_PRELOAD=1. Off by default: a code reload then needs a restart
# of the master, not just of the workers (HUP).
preload_app = os.environ.get("GUNICORN_PRELOAD", "0") == "1"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # long exports
graceful_timeout = 30
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
