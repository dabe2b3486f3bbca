"""Rows of the reminders' admin lists for the generated walks (matrix, labels): the seeded 提醒模板 and one e-mail
of unit B's user in the outbox, with one failed attempt."""

from admin_app.extensions import db
from admin_app.services import clock, outbox, reminder_templates
from models import OutboxAttempt


def add_reminder_rows(world) -> None:
    reminder_templates.seed_defaults()
    message = outbox.add(outbox.EMAIL, "b@example.com", "提醒", "内容", user_id=world.users["unit_b"].id)
    db.session.flush()
    db.session.add(
        OutboxAttempt(
            message_id=message.id, number=1, attempted_at=clock.utcnow(), ok=False, detail="连接失败"
        )
    )
    db.session.commit()
