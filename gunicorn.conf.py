"""gunicorn settings (`gunicorn -c gunicorn.conf.py wsgi:app`); every value can be set from the environment.

The defaults are for one 2-core server that also runs PostgreSQL: 2 worker processes × 8 threads (gthread),
chosen with bench/throughput.py against 2×4, 1×8, 3×2, 4×1 (gthread and sync) and ``--preload`` (results in
bench/README.md): at 16 connections 2×8 answered as many or more requests per second than 2×4 (up to 2.3×)
with a lower p95, the same at 1 and 4, for ~10 MB more per worker; two processes, so a killed or stuck worker
takes only half of the requests in flight. Each worker's database pool (SQLAlchemy: 5 kept + 10 overflow
connections) covers its threads up to 15.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
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
