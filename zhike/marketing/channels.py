"""Outbound channels: email over SMTP, SMS over an HTTP gateway, and WeCom application messages.

Only ``sending.dispatch_send`` calls a channel, after the send gate has let the
message through. Each channel carries the send's idempotency key in the field
its protocol offers (email ``Message-ID``, SMS ``OutId``, WeCom duplicate
check), so a retry after a crash can be recognised downstream.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

import httpx
from sqlalchemy.orm import Session

from zhike.ai.llm.secrets import decrypt_secret
from zhike.core.errors import InvalidInput
from zhike.marketing.consent import tenant_settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0


@dataclass
class OutboundMessage:
    idempotency_key: str
    channel: str
    address: str
    subject: str | None
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class DeliveryResult:
    """``sent`` (accepted by the next hop), ``bounced`` (permanent) or ``failed`` (retry later)."""

    status: str
    provider_message_id: str | None = None
    detail: str | None = None


class Channel(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> DeliveryResult: ...


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        from_address: str,
        *,
        use_starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.from_address = from_address
        self.use_starttls = use_starttls
        self.username = username
        self.password = password

    def build(self, message: OutboundMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.from_address
        email["To"] = message.address
        email["Subject"] = message.subject or ""
        # The same send key gives the same Message-ID on every attempt, which is what
        # lets a receiver drop the repeat after a crash (make_msgid adds time and randomness).
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
        email["Message-ID"] = f"<{digest}@zhike.invalid>"
        for name, value in message.headers.items():
            email[name] = value
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: OutboundMessage) -> DeliveryResult:
        email = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as client:
                if self.use_starttls:
                    client.starttls()
                if self.username and self.password:
                    client.login(self.username, self.password)
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            detail = f"{code} {reply.decode(errors='replace')}"
            return DeliveryResult("bounced" if 500 <= code < 600 else "failed", None, detail)
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("smtp delivery failed", extra={"host": self.host, "error": str(error)})
            return DeliveryResult("failed", None, str(error)[:200])
        return DeliveryResult("sent", str(email["Message-ID"]))


class SmsChannel:
    """An SMS gateway in the style of Chinese cloud SMS APIs: signed JSON over HTTP."""

    name = "sms"

    def __init__(
        self,
        base_url: str,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.client = client or httpx.Client(timeout=TIMEOUT_SECONDS)

    def send(self, message: OutboundMessage) -> DeliveryResult:
        body = json.dumps(
            {
                "PhoneNumbers": message.address,
                "SignName": self.sign_name,
                "TemplateCode": self.template_code,
                "TemplateParam": json.dumps({"content": message.text}, ensure_ascii=False),
                "OutId": message.idempotency_key,
            },
            ensure_ascii=False,
        ).encode()
        signature = hmac.new(self.access_key_secret.encode(), body, hashlib.sha256).hexdigest()
        try:
            response = self.client.post(
                f"{self.base_url}/sms/send",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Access-Key-Id": self.access_key_id,
                    "X-Signature": signature,
                },
            )
            reply = response.json()
        except (httpx.HTTPError, ValueError) as error:
            return DeliveryResult("failed", None, str(error)[:200])
        code = str(reply.get("Code", ""))
        if code == "OK":
            return DeliveryResult("sent", str(reply.get("BizId")))
        # Number errors are permanent; quota, signature and server errors may pass later.
        permanent = code in ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT")
        return DeliveryResult("bounced" if permanent else "failed", None, code)


class WeComChannel:
    """WeCom (企业微信) application messages: ``gettoken`` then ``message/send``."""

    name = "wecom"

    def __init__(
        self,
        base_url: str,
        corp_id: str,
        corp_secret: str,
        agent_id: int,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self.corp_secret = corp_secret
        self.agent_id = agent_id
        self.client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
        self._token: tuple[str, float] | None = None

    def _access_token(self, refresh: bool = False) -> str:
        if self._token is not None and not refresh and self._token[1] > time.monotonic():
            return self._token[0]
        response = self.client.get(
            f"{self.base_url}/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.corp_secret},
        )
        reply = response.json()
        if reply.get("errcode") != 0:
            raise httpx.HTTPError(f"gettoken errcode {reply.get('errcode')}")
        # Refresh a minute early so a token never expires between check and use.
        lifetime = float(reply.get("expires_in", 7200)) - 60
        self._token = (str(reply["access_token"]), time.monotonic() + lifetime)
        return self._token[0]

    def _post(self, message: OutboundMessage, refresh: bool) -> dict[str, Any]:
        body = {
            "touser": message.address,
            "msgtype": "text",
            "agentid": self.agent_id,
            "text": {"content": message.text},
            # WeCom drops a repeat of the same content to the same user within the interval.
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        }
        response = self.client.post(
            f"{self.base_url}/cgi-bin/message/send",
            params={"access_token": self._access_token(refresh)},
            json=body,
        )
        reply: dict[str, Any] = response.json()
        return reply

    def send(self, message: OutboundMessage) -> DeliveryResult:
        try:
            reply = self._post(message, refresh=False)
            if reply.get("errcode") in (40014, 42001):  # invalid or expired access token
                reply = self._post(message, refresh=True)
        except (httpx.HTTPError, ValueError) as error:
            return DeliveryResult("failed", None, str(error)[:200])
        if reply.get("errcode") != 0:
            return DeliveryResult("failed", None, f"errcode {reply.get('errcode')}")
        if reply.get("invaliduser"):
            return DeliveryResult("bounced", None, "invaliduser")
        return DeliveryResult("sent", str(reply.get("msgid")))


def _secret(config: dict[str, Any], name: str, tenant: uuid.UUID) -> str:
    value = config.get(name)
    return decrypt_secret(str(value), tenant) if value else ""


def channel_for(session: Session, tenant_id: uuid.UUID, name: str) -> Channel:
    """Build the tenant's configured channel ``name``; unconfigured channels raise 400."""
    config = tenant_settings(session, tenant_id).channels.get(name)
    if not isinstance(config, dict):
        raise InvalidInput("marketing_channel_not_configured", channel=name)
    if name == "email":
        return EmailChannel(
            str(config["host"]),
            int(config["port"]),
            str(config["from_address"]),
            use_starttls=bool(config.get("use_starttls")),
            username=config.get("username"),
            password=_secret(config, "password", tenant_id) or None,
        )
    if name == "sms":
        return SmsChannel(
            str(config["base_url"]),
            str(config["access_key_id"]),
            _secret(config, "access_key_secret", tenant_id),
            str(config["sign_name"]),
            str(config["template_code"]),
        )
    if name == "wecom":
        return WeComChannel(
            str(config["base_url"]),
            str(config["corp_id"]),
            _secret(config, "corp_secret", tenant_id),
            int(config["agent_id"]),
        )
    raise InvalidInput("marketing_channel_not_configured", channel=name)
