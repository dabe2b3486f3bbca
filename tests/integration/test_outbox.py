"""The outbox (issue 19 point 5): e-mail end to end through an SMTP server the test starts on loopback (aiosmtpd),
SMS through a fake HTTP gateway on loopback; failures retried with exponential backoff, then 失败; every attempt
logged; two senders never take one message; a channel switched off keeps its messages waiting."""

import json
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from admin_app.extensions import db
from admin_app.services import clock, outbox
from admin_app.workflow.states import OutboxState
from models import OutboxAttempt, OutboxMessage


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps what it receives, or answers every DATA with a temporary failure."""

    def __init__(self, refuse: bool = False):
        self.refuse = refuse
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 请稍后再试"
        self.received.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(app, monkeypatch):
    def start(refuse=False):
        handler = Inbox(refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
        monkeypatch.setitem(app.config, "MAIL_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
        monkeypatch.setitem(app.config, "MAIL_FROM", "gongkao@example.gov.cn")
        return handler

    started = []
    yield start
    for controller in started:
        controller.stop()


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers.get("Authorization"), json.loads(body)))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "sms-1"}' if type(self).status == 200 else b'{"error": "quota"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_gateway(app, monkeypatch):
    handler = type("TestGateway", (Gateway,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "SMS_ENABLED", True)
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", f"http://127.0.0.1:{server.server_port}/send")
    monkeypatch.setitem(app.config, "SMS_GATEWAY_TOKEN", "test-token")
    yield handler
    server.shutdown()
    server.server_close()


def queue(channel, address, subject="考试资格申请即将截止", body="甲单位：还有3天截止。") -> int:
    message = outbox.add(channel, address, subject, body)
    db.session.commit()
    return message.id


def reload(message_id) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def later(monkeypatch, seconds: int) -> None:
    """Move the one clock ``seconds`` ahead of now."""
    instant = clock._instant() + timedelta(seconds=seconds)
    monkeypatch.setattr(clock, "_instant", lambda: instant)


def test_an_email_is_delivered_over_smtp_and_logged(app, ctx, smtp_server):
    inbox = smtp_server()
    message_id = queue(outbox.EMAIL, "unit-a@example.com")

    assert outbox.send_due(app.config) == {"sent": 1, "failed": 0, "retry": 0}

    [(recipients, content)] = inbox.received
    assert recipients == ["unit-a@example.com"]
    mail = message_from_bytes(content, policy=policy.default)
    assert mail["Subject"] == "考试资格申请即将截止" and "gongkao@example.gov.cn" in mail["From"]
    assert "甲单位：还有3天截止。" in mail.get_content()
    sent = reload(message_id)
    assert sent.state == OutboxState.SENT and sent.attempts == 1 and sent.sent_at is not None
    [attempt] = sent.attempt_log
    assert attempt.ok and attempt.number == 1 and "已接收" in attempt.detail
    assert outbox.send_due(app.config) == {"sent": 0, "failed": 0, "retry": 0}  # never twice
    assert len(inbox.received) == 1


def test_a_failing_smtp_server_is_retried_with_backoff_then_failed(app, ctx, smtp_server, monkeypatch):
    smtp_server(refuse=True)
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_SECONDS", 60)
    message_id = queue(outbox.EMAIL, "unit-a@example.com")

    assert outbox.send_due(app.config)["retry"] == 1
    first = reload(message_id)
    assert first.state == OutboxState.PENDING and "451" in first.last_error
    assert first.next_attempt_at - first.attempt_log[-1].attempted_at == timedelta(seconds=60)
    assert outbox.send_due(app.config)["retry"] == 0  # not due before its time

    later(monkeypatch, 61)
    assert outbox.send_due(app.config)["retry"] == 1
    second = reload(message_id)
    assert second.next_attempt_at - second.attempt_log[-1].attempted_at == timedelta(seconds=120)  # doubled

    later(monkeypatch, 61 + 121)
    assert outbox.send_due(app.config)["failed"] == 1
    failed = reload(message_id)
    assert failed.state == OutboxState.FAILED and failed.attempts == 3 and "451" in failed.last_error
    assert [(a.number, a.ok) for a in failed.attempt_log] == [(1, False), (2, False), (3, False)]
    later(monkeypatch, 10_000)
    assert outbox.send_due(app.config) == {"sent": 0, "failed": 0, "retry": 0}  # 失败 is final


def test_an_unreachable_smtp_server_is_a_logged_failure(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    monkeypatch.setitem(app.config, "MAIL_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens
    message_id = queue(outbox.EMAIL, "unit-a@example.com")
    assert outbox.send_due(app.config)["retry"] == 1
    assert "无法连接邮件服务器" in reload(message_id).last_error


def test_an_sms_goes_through_the_http_gateway(app, ctx, sms_gateway):
    message_id = queue(outbox.SMS, "13800000001")

    assert outbox.send_due(app.config)["sent"] == 1

    [(authorization, payload)] = sms_gateway.received
    assert authorization == "Bearer test-token"
    assert payload == {"phone": "13800000001", "text": "【工考管理平台】甲单位：还有3天截止。"}
    sent = reload(message_id)
    assert sent.state == OutboxState.SENT and "sms-1" in sent.attempt_log[0].detail


def test_a_gateway_error_is_retried(app, ctx, sms_gateway):
    sms_gateway.status = 503
    message_id = queue(outbox.SMS, "13800000001")
    assert outbox.send_due(app.config)["retry"] == 1
    waiting = reload(message_id)
    assert waiting.state == OutboxState.PENDING and "HTTP 503" in waiting.last_error
    assert not waiting.attempt_log[0].ok


def test_two_senders_never_take_one_message(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_ENABLED", True)
    message_id = queue(outbox.SMS, "13800000001")
    now, policy_ = clock.utcnow(), outbox.Policy.from_config(app.config)
    assert outbox._take(message_id, 0, now, policy_) is True
    assert outbox._take(message_id, 0, now, policy_) is False  # the second sender read the same row
    taken = reload(message_id)
    assert taken.attempts == 1 and taken.next_attempt_at > now  # leased: not due for anyone meanwhile
    assert outbox.send_due(app.config) == {"sent": 0, "failed": 0, "retry": 0}


def test_a_channel_switched_off_keeps_its_messages_waiting(app, ctx):
    assert not app.config["MAIL_ENABLED"] and not app.config["SMS_ENABLED"]  # off by default
    message_id = queue(outbox.EMAIL, "unit-a@example.com")
    assert outbox.send_due(app.config) == {"sent": 0, "failed": 0, "retry": 0}
    waiting = reload(message_id)
    assert waiting.state == OutboxState.PENDING and waiting.attempts == 0
    assert OutboxAttempt.query.count() == 0
