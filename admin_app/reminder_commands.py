"""Reminders from the command line and from the worker's beat.

``flask reminders-run [--date YYYY-MM-DD]`` sends the reminders of a business date now (for cron, or to catch up
a day); ``flask outbox-send`` sends the due e-mails and SMS once. The worker (``flask worker``) calls ``beat`` on
its maintenance beat (every ``JOB_MAINTENANCE_SECONDS``): the day's reminders once the Beijing time passes
``REMINDER_TIME``, then the due outbox messages. Each reminder goes out once per (kind, organisation, date)
whichever of these runs it, however often (``services/reminders.py``)."""

import logging
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from admin_app.extensions import db
from admin_app.services import outbox, reminders

log = logging.getLogger(__name__)


def beat() -> None:
    """The worker's share of the reminders; an error is logged and rolled back, never stops the worker."""
    config = current_app.config
    try:
        done = reminders.scheduled(config)
        if done is not None:
            log.info("reminders: %s", done)
        sent = outbox.send_due(config)
        if any(sent.values()):
            log.info("outbox: %s", sent)
    except Exception:  # the worker's other upkeep must go on; the next beat tries again
        db.session.rollback()
        log.exception("reminders or outbox failed")


@click.command("reminders-run")
@click.option("--date", "day", default=None, help="业务日期 YYYY-MM-DD（默认：今天，北京时间）")
@with_appcontext
def reminders_run_command(day):
    """发送某一天的定时提醒（已发送过的不会重复发送）。"""
    try:
        business_date = datetime.strptime(day, "%Y-%m-%d").date() if day else None
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--date") from None
    counts = reminders.run(current_app.config, business_date)
    click.echo(
        f"提醒 {counts['reminders']} 条：站内消息 {counts['messages']}，邮件 {counts['emails']}，短信 {counts['sms']}"
    )


@click.command("outbox-send")
@with_appcontext
def outbox_send_command():
    """发送到期的邮件和短信（失败的按退避时间重试）。"""
    counts = outbox.send_due(current_app.config)
    click.echo(f"已发送 {counts['sent']}，待重试 {counts['retry']}，失败 {counts['failed']}")


def init_app(app) -> None:
    app.cli.add_command(reminders_run_command)
    app.cli.add_command(outbox_send_command)
