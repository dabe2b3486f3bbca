"""Fault test (issue 6): kill -9 the gunicorn worker while it is applying a bulk decision over thousands of
rows, then check that nothing is half-written (every application either moved with its history and audit
rows, or untouched; the audit chain intact) and that the same bulk request, sent again, finishes the job.

Usage:  .venv/bin/python bench/crash_test.py [--rows 6000] [--kill-after 0.4] [--db gk_load]
Every wait is bounded (server start, login, each request: bench/live_server.py).
"""

import argparse
import json
import os
import re
import secrets
import signal
import sys
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from bench.live_server import Client, Gunicorn, load_average, wait_until_ready  # noqa: E402
from bench.load_test import check_consistency, prepare  # noqa: E402


def bulk_approve_all(client):
    """审核通过 for every row of the 待我审核 queue ("all matching the filter"), through its confirmation page's
    form (the rows it pinned)."""
    token, html = client.token("/review_queue/bulk/", params={"op": "approve"})
    pin = re.search(r'name="pin" value="([^"]+)"', html).group(1)
    return client.post("/review_queue/decide/", data={"op": "approve", "pin": pin, "csrf_token": token})


def send(client, box):
    """The bulk request; its response, or the name of the error it ended with, lands in ``box``."""
    started = time.perf_counter()
    try:
        response = bulk_approve_all(client)
        box["outcome"] = response.status_code
    except (requests.RequestException, LookupError) as exc:
        box["outcome"] = type(exc).__name__
    box["seconds"] = round(time.perf_counter() - started, 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_load")
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--kill-after", type=float, default=0.4, help="seconds into the bulk request")
    args = parser.parse_args()
    units = 5
    prepare(args.db, reviewers=1, units=units, pending=args.rows // units, drafts=0)
    outcome = {"load_average_before": load_average()}
    # BULK_JOB_ROWS: the kill must land in a decision made in the request, not in a background job
    with Gunicorn(
        args.db, 8900 + secrets.randbelow(90), workers=1, threads=2, BULK_JOB_ROWS="20000"
    ) as server:
        outcome["server_ready_after_s"] = round(server.started_in, 1)
        client = Client(server.base, "reviewer00")
        # A warm-up request, so that the kill lands in the bulk work and not in a cold worker's first page.
        client.token("/review_queue/")
        first = {}
        thread = threading.Thread(target=send, args=(client, first))
        thread.start()
        time.sleep(args.kill_after)
        killed = server.worker_pids()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        thread.join()  # bounded: the request ends with the killed connection, or at the client's timeout
        outcome["killed_workers"] = len(killed)
        outcome["first_request"] = first
        outcome["after_crash"] = check_consistency(args.db)
        # gunicorn's master starts a new worker; the same request, sent again, finishes the job.
        wait_until_ready(server.base, server.process)
        second = {}
        send(Client(server.base, "reviewer00"), second)
        outcome["second_request"] = second
        outcome["after_retry"] = check_consistency(args.db)
    outcome["load_average_after"] = load_average()
    print(json.dumps(outcome, ensure_ascii=False))


if __name__ == "__main__":
    main()
