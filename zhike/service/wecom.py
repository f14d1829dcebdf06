"""A WeCom (企业微信) application-message client: ``gettoken`` then ``message/send``.

An access token lasts the ``expires_in`` seconds that ``gettoken`` returns, and
WeCom limits how often one may be fetched. Tokens are therefore cached per process
and per application. A new one is fetched only when the cached one runs out, or
when WeCom rejects it as invalid (40014) or expired (42001).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

TIMEOUT_SECONDS = 10.0
DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"
# Error codes meaning "fetch a new access token and send again".
TOKEN_REJECTED_CODES = frozenset({40014, 42001})
# Refresh a minute early so a token does not expire between the check and its use.
TOKEN_MARGIN_SECONDS = 60.0

# Query parameters that carry a credential; masked in any error text that quotes a URL.
_QUERY_SECRETS = re.compile(r"(access_token|corpsecret)=[^&\s'\"]*")

_tokens: dict[str, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


class WeComError(Exception):
    """A request to WeCom failed; the message carries the errcode and errmsg, never a secret."""


@dataclass(frozen=True)
class WeComApplication:
    base_url: str
    corp_id: str
    agent_id: int
    corp_secret: str

    @property
    def cache_key(self) -> str:
        # The secret takes part through a digest, so a new secret never reuses an old token.
        digest = hashlib.sha256(self.corp_secret.encode("utf-8")).hexdigest()[:16]
        return f"{self.base_url}|{self.corp_id}|{self.agent_id}|{digest}"


_URL_SECRET = re.compile(r"((?:corpsecret|access_token)=)[^&\s\"]+")


class _MaskUrlSecrets(logging.Filter):
    """httpx logs every request's URL at INFO, and WeCom carries the secret and token in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _URL_SECRET.sub(r"\1****", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


logging.getLogger("httpx").addFilter(_MaskUrlSecrets())


def _reply_json(response: httpx.Response) -> dict[str, Any]:
    try:
        reply = response.json()
    except ValueError as error:
        raise WeComError(f"WeCom returned HTTP {response.status_code} without JSON") from error
    if not isinstance(reply, dict):
        raise WeComError(f"WeCom returned HTTP {response.status_code} with unexpected JSON")
    return reply


def _fetch_token(application: WeComApplication, client: httpx.Client) -> str:
    response = client.get(
        f"{application.base_url.rstrip('/')}/cgi-bin/gettoken",
        params={"corpid": application.corp_id, "corpsecret": application.corp_secret},
    )
    reply = _reply_json(response)
    if reply.get("errcode") != 0 or not reply.get("access_token"):
        raise WeComError(f"gettoken failed: errcode {reply.get('errcode')} {reply.get('errmsg')}")
    lifetime = float(reply.get("expires_in", 7200)) - TOKEN_MARGIN_SECONDS
    token = str(reply["access_token"])
    with _tokens_lock:
        _tokens[application.cache_key] = (token, time.monotonic() + lifetime)
    return token


def access_token(
    application: WeComApplication, client: httpx.Client, *, refresh: bool = False
) -> str:
    """Return a cached access token, fetching a new one when absent, expired or ``refresh``."""
    with _tokens_lock:
        cached = _tokens.get(application.cache_key)
    if cached is not None and not refresh and cached[1] > time.monotonic():
        return cached[0]
    return _fetch_token(application, client)


def send_text(
    application: WeComApplication,
    user_id: str,
    text: str,
    client: httpx.Client | None = None,
) -> str:
    """Send ``text`` to the member ``user_id``; return WeCom's msgid or raise ``WeComError``."""
    owned = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    body = {
        "touser": user_id,
        "msgtype": "text",
        "agentid": application.agent_id,
        "text": {"content": text},
    }
    try:
        reply: dict[str, Any] = {}
        for refresh in (False, True):
            response = http.post(
                f"{application.base_url.rstrip('/')}/cgi-bin/message/send",
                params={"access_token": access_token(application, http, refresh=refresh)},
                json=body,
            )
            reply = _reply_json(response)
            if reply.get("errcode") not in TOKEN_REJECTED_CODES:
                break
    except httpx.HTTPError as error:
        detail = _QUERY_SECRETS.sub(r"\1=***", str(error))
        raise WeComError(f"WeCom request failed: {type(error).__name__}: {detail}") from error
    finally:
        if owned:
            http.close()
    if reply.get("errcode") != 0:
        raise WeComError(
            f"message/send failed: errcode {reply.get('errcode')} {reply.get('errmsg')}"
        )
    if reply.get("invaliduser"):
        raise WeComError(f"WeCom does not know the user id {reply['invaliduser']}")
    return str(reply.get("msgid") or "")


def forget_tokens() -> None:
    """Drop every cached token, e.g. after the application's secret changed."""
    with _tokens_lock:
        _tokens.clear()
