"""Fault test (issue 6): kill -9 the gunicorn worker while it is applying a bulk decision over thousands of
rows, then check that nothing is half-written (every application either moved with its history and audit
rows, or untouched; the audit chain intact) and that the same bulk request, sent again, finishes the job.

Usage:  .venv/bin/python bench/crash_test.py [--rows 6000]
"""

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from bench.load_test import DB, PG, ROOT, Client, check_consistency, prepare  # noqa: E402


def start_server(port):
    env = dict(
        os.environ,
        DATABASE_URL=f"{PG}/{DB}",
        SECRET_KEY="crash-test-key",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESSLOG="/dev/null",
        LOGIN_RATE_LIMIT="1000 per minute",
        UPLOAD_DIR="/tmp/gk-load",
    )
    server = subprocess.Popen(
        [os.path.join(ROOT, ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(base + "/login", timeout=1)
            return server, base
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def worker_pids(master_pid):
    out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def bulk_approve_all(client, base):
    token, _html = client.token("/review_queue/")
    return client.session.post(
        f"{base}/review_queue/decide/",
        data={"op": "approve", "all_matching": "1", "csrf_token": token},
        timeout=300,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--kill-after", type=float, default=0.4, help="seconds into the bulk request")
    args = parser.parse_args()
    units = 5
    prepare(reviewers=1, units=units, pending=args.rows // units, drafts=0)
    port = 8900 + secrets.randbelow(90)
    server, base = start_server(port)
    outcome = {}
    try:
        client = Client(base, "reviewer00")
        response_box = {}

        def send():
            try:
                response_box["response"] = bulk_approve_all(client, base)
            except requests.RequestException as exc:
                response_box["error"] = type(exc).__name__

        thread = threading.Thread(target=send)
        thread.start()
        time.sleep(args.kill_after)
        killed = worker_pids(server.pid)
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        thread.join(timeout=120)
        outcome["killed_workers"] = len(killed)
        outcome["first_request"] = response_box.get("error") or response_box["response"].status_code
        outcome["after_crash"] = check_consistency()
        # gunicorn's master starts a new worker; the same request finishes the job.
        time.sleep(3)
        client = Client(base, "reviewer00")
        second = bulk_approve_all(client, base)
        outcome["second_request"] = second.status_code
        outcome["after_retry"] = check_consistency()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(json.dumps(outcome, ensure_ascii=False))


if __name__ == "__main__":
    main()
