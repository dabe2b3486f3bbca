"""The reminders' pages (issue 19 point 5): 提醒模板 (admin only; placeholders checked on save, in Chinese;
the saved wording is what goes out), 邮件短信发送记录 (admin only, every attempt shown), 消息设置 (one's own
e-mail, mobile and opt-outs; bad input saves nothing) and the addresses in 账号管理."""

import pytest

from admin_app.extensions import db
from admin_app.services import clock, outbox, reminder_templates, reminders
from models import AuditLog, Notification, OutboxAttempt, ReminderTemplate, User, enums
from tests.conftest import login, text_of


@pytest.fixture
def templates(world):
    reminder_templates.seed_defaults()
    db.session.commit()
    return {t.kind: t for t in ReminderTemplate.query.all()}


def test_the_admin_edits_a_template_and_the_reminder_uses_it(app, client, world, templates):
    digest = templates["review_digest"]
    login(client, "admin")
    assert "${count}" in client.get(f"/reminder_templates/edit/?id={digest.id}").get_data(as_text=True)
    response = client.post(
        f"/reminder_templates/edit/?id={digest.id}",
        data={
            "title": "今日待审：${count}份",
            "body": "${organisation}，今天（${date}）有${count}份申请待审。",
        },
    )
    assert response.status_code == 302
    reminders.run(app.config, clock.today())
    message = Notification.query.filter_by(kind="reminder_review_digest").one()  # 沙坪坝: B's application
    assert message.title == "今日待审：1份"
    assert message.body.startswith("沙坪坝区人力社保局，今天（") and message.body.endswith("有1份申请待审。")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("${organisation}：${secret}", "未知的占位符：secret"),  # not a placeholder of the digest
        ("共有 $ 份", "模板格式不正确"),
        ("{{ config.SECRET_KEY }} ${count}", None),  # not a template language: kept as text
    ],
)
def test_a_template_with_an_unknown_placeholder_is_refused_in_chinese(client, world, templates, body, error):
    digest = templates["review_digest"]
    before = (digest.title, digest.body)
    login(client, "admin")
    response = client.post(f"/reminder_templates/edit/?id={digest.id}", data={"title": "待审", "body": body})
    db.session.expire_all()
    saved = db.session.get(ReminderTemplate, digest.id)
    if error is None:
        assert response.status_code == 302 and saved.body == body
        title, text = reminder_templates.render(
            "review_digest", {"organisation": "x", "count": 3, "date": "d"}
        )
        assert text == "{{ config.SECRET_KEY }} 3"
        return
    assert response.status_code == 200 and error in text_of(response)
    assert (saved.title, saved.body) == before


@pytest.mark.parametrize("role", [enums.UNIT, enums.DISTRICT_HR, enums.OFFICE, enums.CENTER])
def test_only_the_admin_reaches_the_templates_and_the_send_log(client, world, templates, role):
    message = outbox.add(outbox.EMAIL, "b@example.com", "提醒", "内容")
    db.session.commit()
    login(client, world.users[role].username)
    for url in (
        "/reminder_templates/",
        f"/reminder_templates/edit/?id={templates['review_digest'].id}",
        "/outbox/",
        f"/outbox/details/?id={message.id}",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        f"/reminder_templates/edit/?id={templates['review_digest'].id}",
        data={"title": "越权", "body": "越权"},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ReminderTemplate, templates["review_digest"].id).title != "越权"


def test_the_send_log_shows_every_attempt(client, world):
    message = outbox.add(outbox.SMS, "13800000001", "提醒", "内容")
    db.session.flush()
    now = clock.utcnow()
    db.session.add(
        OutboxAttempt(message_id=message.id, number=1, attempted_at=now, ok=False, detail="HTTP 503")
    )
    db.session.commit()
    login(client, "admin")
    assert "13800000001" in client.get("/outbox/").get_data(as_text=True)
    page = text_of(client.get(f"/outbox/details/?id={message.id}"))
    assert "第1次 失败：HTTP 503" in page and "待发送" in page and "短信" in page


def test_a_user_sets_their_own_addresses_and_turns_email_off(client, world):
    login(client, "unit_a")
    response = client.post(
        "/contact", data={"email": " a@Example.com ", "mobile": "138 0000 0001", "sms_wanted": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, world.users[enums.UNIT].id)
    assert (user.email, user.mobile, user.email_opt_out, user.sms_opt_out) == (
        "a@Example.com",
        "13800000001",
        True,
        False,
    )
    assert AuditLog.query.filter_by(action="contact_settings_changed").count() == 1
    page = client.get("/contact").get_data(as_text=True)
    assert 'value="a@Example.com"' in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"email": "a@@example", "email_wanted": "y"}, "电子邮箱格式不正确"),
        ({"mobile": "12345", "sms_wanted": "y"}, "手机号码格式不正确"),
        ({"email": "", "email_wanted": "y"}, "接收邮件提醒须先填写电子邮箱"),
        ({"email": "x" * 130 + "@example.com"}, "电子邮箱不能超过120个字符"),
    ],
)
def test_bad_contact_settings_save_nothing(client, world, data, error):
    user = world.users[enums.UNIT]
    user.email, user.mobile = "old@example.com", "13900000000"
    db.session.commit()
    login(client, "unit_a")
    response = client.post("/contact", data=data)
    assert response.status_code == 200 and error in text_of(response)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.email, user.mobile, user.email_opt_out, user.sms_opt_out) == (
        "old@example.com",
        "13900000000",
        False,
        False,
    )


def test_the_admin_sets_a_users_addresses_validated(client, world):
    target = world.users[enums.CENTER]
    login(client, "admin")
    base = {"username": "center", "full_name": "x", "organisation": target.organisation_id, "active": "y"}
    bad = client.post(f"/users/edit/?id={target.id}", data={**base, "email": "坏邮箱", "mobile": "1380000"})
    assert bad.status_code == 200
    assert "电子邮箱格式不正确" in text_of(bad) and "手机号码格式不正确" in text_of(bad)
    good = client.post(
        f"/users/edit/?id={target.id}", data={**base, "email": "center@example.com", "mobile": "13800000009"}
    )
    assert good.status_code == 302
    db.session.expire_all()
    saved = db.session.get(User, target.id)
    assert (saved.email, saved.mobile) == ("center@example.com", "13800000009")
