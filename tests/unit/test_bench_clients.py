"""The benchmarks' HTTP side on a slow server: a first request that times out is waited out, not fatal; the
wait is bounded; a timed-out request inside a load-test loop is counted and the loop carries on."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from bench.live_server import wait_until_ready
from bench.load_test import attempt


class SlowFirstRequest(BaseHTTPRequestHandler):
    """Answers 200, but the very first request only after ``delay`` seconds (a cold worker)."""

    delay = 1.5
    served = 0

    def do_GET(self):
        type(self).served += 1
        if type(self).served == 1:
            time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    SlowFirstRequest.served = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowFirstRequest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_readiness_wait_outlasts_a_first_request_that_times_out(slow_server):
    with pytest.raises(requests.Timeout):  # what the old one-shot check died of
        requests.get(slow_server + "/login", timeout=0.5)
    SlowFirstRequest.served = 0
    waited = wait_until_ready(slow_server, deadline=20, first_timeout=0.5)
    assert 0.5 <= waited < 20
    assert SlowFirstRequest.served >= 2  # the timed-out attempt, then an answered one


def test_readiness_wait_gives_up_at_its_deadline():
    silent = socket.socket()  # accepts connections (backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="did not answer within"):
            wait_until_ready(f"http://127.0.0.1:{silent.getsockname()[1]}", deadline=2, first_timeout=0.5)
        assert time.monotonic() - started < 4
    finally:
        silent.close()


def test_a_timed_out_request_in_a_load_loop_is_counted_not_fatal():
    from collections import Counter

    stats = {"timeouts": 0, "request_errors": Counter()}

    def times_out(path):
        raise requests.ReadTimeout(path)

    def refused(path):
        raise requests.ConnectionError(path)

    assert attempt(stats, times_out, "/review_queue/") is None
    assert attempt(stats, refused, "/review_queue/") is None
    assert stats == {"timeouts": 1, "request_errors": Counter({"ConnectionError": 1})}
    assert attempt(stats, lambda path: path, "/ok") == "/ok"
