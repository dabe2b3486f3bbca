"""The outbox of e-mails and SMS (SPEC §8.6): a message is a row first, in the transaction that decided to send
it; a sender (the worker's beat, ``flask outbox-send``) sends the due ones later.

Guarantees:
- Two senders never send one message at the same time: a sender takes a message by a conditional UPDATE
  (still 待发送, still due, same attempt count) that also moves its next attempt ``OUTBOX_LEASE_SECONDS`` ahead;
  the other sender's UPDATE matches nothing. A sender that dies while sending leaves the message due again once
  the lease ends — so a message is sent at least once, and twice only if a sender died between the server's
  acceptance and its own commit.
- Every attempt is an ``OutboxAttempt`` row with its result; after a failure the message waits
  ``OUTBOX_RETRY_SECONDS × 2^(n-1)`` (n = attempts so far), and after ``OUTBOX_MAX_ATTEMPTS`` it is 失败 with the
  last error.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import channels, clock
from admin_app.workflow.states import OutboxState
from models import OutboxAttempt, OutboxMessage

EMAIL = "email"
SMS = "sms"
CHANNEL_LABELS = {EMAIL: "电子邮件", SMS: "短信"}


@dataclass(frozen=True)
class Policy:
    max_attempts: int
    retry_seconds: int
    lease_seconds: int

    @classmethod
    def from_config(cls, config) -> "Policy":
        return cls(
            config["OUTBOX_MAX_ATTEMPTS"], config["OUTBOX_RETRY_SECONDS"], config["OUTBOX_LEASE_SECONDS"]
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: retry_seconds, then doubled each time."""
        return timedelta(seconds=self.retry_seconds * 2 ** max(attempts - 1, 0))


def add(
    channel: str, address: str, subject: str, body: str, *, user_id=None, reminder_id=None
) -> OutboxMessage:
    """Queue one message (待发送, due now). Not committed here: it is sent only if the caller's transaction
    commits."""
    text = body if channel == EMAIL else f"【工考管理平台】{body}"[: limits.SMS_TEXT]
    message = OutboxMessage(
        channel=channel,
        address=address,
        subject=subject[:200],
        body=text[:2000],
        user_id=user_id,
        reminder_id=reminder_id,
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=clock.utcnow(),
    )
    db.session.add(message)
    return message


def _take(message_id: int, seen_attempts: int, now: datetime, policy: Policy) -> bool:
    """Take one due message for this sender (committed), or learn that another sender has it."""
    taken = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == OutboxState.PENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts == seen_attempts,
        )
        .values(attempts=seen_attempts + 1, next_attempt_at=now + timedelta(seconds=policy.lease_seconds))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken == 1


def _record(message_id: int, number: int, delivery: channels.Delivery, policy: Policy) -> None:
    """The attempt's row and the message's new state, in one commit."""
    now = clock.utcnow()
    detail = delivery.detail[: limits.SEND_ERROR]
    db.session.add(
        OutboxAttempt(message_id=message_id, number=number, attempted_at=now, ok=delivery.ok, detail=detail)
    )
    if delivery.ok:
        values = {"state": OutboxState.SENT, "sent_at": now, "last_error": None}
    elif number >= policy.max_attempts:
        values = {"state": OutboxState.FAILED, "last_error": detail}
    else:
        values = {"next_attempt_at": now + policy.backoff(number), "last_error": detail}
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.attempts == number)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _deliver(config, message) -> channels.Delivery:
    try:
        if message.channel == EMAIL:
            return channels.SmtpMailer.from_config(config).send(
                message.address, message.subject, message.body
            )
        return channels.sms_gateway(config).send(message.address, message.body)
    except channels.ChannelOff as exc:
        return channels.Delivery(False, str(exc))


def send_due(config, *, limit: int = limits.OUTBOX_BATCH) -> dict:
    """Send up to ``limit`` due messages, oldest due first; returns {"sent": n, "failed": n, "retry": n}
    (failed: no attempt left). A channel switched off (``MAIL_ENABLED`` / ``SMS_ENABLED`` = 0) keeps its messages
    waiting untouched."""
    policy = Policy.from_config(config)
    channels_on = [c for c, key in ((EMAIL, "MAIL_ENABLED"), (SMS, "SMS_ENABLED")) if config[key]]
    counts = {"sent": 0, "failed": 0, "retry": 0}
    if not channels_on:
        return counts
    now = clock.utcnow()
    due = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.attempts)
        .where(
            OutboxMessage.state == OutboxState.PENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(channels_on),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    for row in due:
        if not _take(row.id, row.attempts, now, policy):
            continue  # another sender has it
        message = db.session.get(OutboxMessage, row.id)
        number = message.attempts
        delivery = _deliver(config, message)
        _record(row.id, number, delivery, policy)
        if delivery.ok:
            counts["sent"] += 1
        elif number >= policy.max_attempts:
            counts["failed"] += 1
        else:
            counts["retry"] += 1
    return counts
