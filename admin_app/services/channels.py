"""The channels an outbox message leaves by: e-mail over SMTP, SMS through a gateway. Settings are handed in
(``from_config``); nothing here reads the request or the database.

SMS gateways differ by vendor, so the SMS side is an interface (``SmsGateway.send(phone, text) -> Delivery``)
with one implementation, ``HttpJsonGateway``: ``POST {"phone": …, "text": …}`` as JSON to ``SMS_GATEWAY_URL``
with ``Authorization: Bearer SMS_GATEWAY_TOKEN``; any 2xx answer is a delivery (its body, cut short, is kept as
the attempt's detail), anything else — another status, a timeout, a refused connection — is a failure. A vendor
with another protocol is one more class in ``GATEWAYS``, chosen by ``SMS_GATEWAY``."""

import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

from admin_app import limits


@dataclass(frozen=True)
class Delivery:
    """The result of one attempt: delivered or not, and what the server said (or the error), in Chinese."""

    ok: bool
    detail: str


class ChannelOff(Exception):
    """The channel is not configured (no SMTP host, no gateway URL)."""


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: int = 20

    @classmethod
    def from_config(cls, config) -> "SmtpMailer":
        return cls(
            host=config["MAIL_HOST"],
            port=config["MAIL_PORT"],
            sender=config["MAIL_FROM"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            starttls=config["MAIL_STARTTLS"],
            timeout=config["MAIL_TIMEOUT"],
        )

    def send(self, to: str, subject: str, body: str) -> Delivery:
        """One plain-text UTF-8 mail to ``to``; STARTTLS and login when configured. Never raises for a network
        or SMTP failure: it is the Delivery's detail."""
        message = EmailMessage()
        message["From"] = formataddr(("工考管理平台", self.sender))
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            return Delivery(False, "邮件服务器拒收该收件地址")
        except smtplib.SMTPAuthenticationError:
            return Delivery(False, "邮件服务器登录失败（请检查 MAIL_USERNAME / MAIL_PASSWORD）")
        except smtplib.SMTPResponseException as exc:
            return Delivery(False, f"邮件服务器拒绝：{exc.smtp_code} {_text(exc.smtp_error)}")
        except (smtplib.SMTPException, OSError) as exc:
            return Delivery(False, f"无法连接邮件服务器：{type(exc).__name__} {exc}")
        if refused:
            return Delivery(False, "邮件服务器拒收该收件地址")
        return Delivery(True, "邮件服务器已接收")


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> Delivery: ...


@dataclass(frozen=True)
class HttpJsonGateway:
    url: str
    token: str = ""
    timeout: int = 10

    def send(self, phone: str, text: str) -> Delivery:
        """POST the SMS as JSON; a 2xx answer is a delivery. Never raises for a network or HTTP failure."""
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"}
            | ({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (URL from config)
                answer = response.read(limits.SEND_ERROR)
        except urllib.error.HTTPError as exc:
            return Delivery(False, f"短信网关拒绝：HTTP {exc.code} {_text(exc.read(200))}")
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            return Delivery(False, f"无法连接短信网关：{type(exc).__name__} {exc}")
        return Delivery(True, f"短信网关已接收 {_text(answer)}".strip())


GATEWAYS = {"http-json": HttpJsonGateway}


def sms_gateway(config) -> SmsGateway:
    """The configured gateway; raises ChannelOff without a URL or for an unknown ``SMS_GATEWAY``."""
    if not config["SMS_GATEWAY_URL"]:
        raise ChannelOff("未配置短信网关地址（SMS_GATEWAY_URL）")
    gateway = GATEWAYS.get(config["SMS_GATEWAY"])
    if gateway is None:
        raise ChannelOff(f"未知的短信网关类型：{config['SMS_GATEWAY']}")
    return gateway(config["SMS_GATEWAY_URL"], config["SMS_GATEWAY_TOKEN"], config["SMS_TIMEOUT"])


def _text(raw) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return " ".join(str(raw).split())[:200]
