"""Connectors to services outside Zhike that agents use: company information and email.

Each is an interface with one implementation speaking a real protocol (HTTP
JSON, SMTP). A tenant configures them in the agent settings. Without that
configuration the connector is absent, so the planner routes the work to a
person or to a fallback tool instead.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zhike.ai.agents.tools.registry import ToolFailed

logger = logging.getLogger(__name__)


class CompanyProfile(BaseModel):
    """Company record returned by a company-information service."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(max_length=200)
    industry: str | None = Field(default=None, max_length=100)
    employee_count: int | None = Field(default=None, ge=0)
    founded_year: int | None = Field(default=None, ge=1800, le=2200)
    registered_capital: str | None = Field(default=None, max_length=100)
    website: str | None = Field(default=None, max_length=300)
    province: str | None = Field(default=None, max_length=50)
    city: str | None = Field(default=None, max_length=50)


class CompanyInfoConnector(Protocol):
    name: str

    def lookup(self, company: str) -> CompanyProfile | None:
        """Return the profile of ``company``, None when the service does not know it."""


class Mailer(Protocol):
    def send(self, recipient: str, subject: str, body: str, message_id: str) -> None:
        """Deliver one email; raise ToolFailed when the server refuses or cannot be reached."""


class HttpCompanyInfo:
    """Company-information client for a JSON service.

    ``GET {base_url}/companies?name=...`` returns one company.
    """

    name = "http"

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def lookup(self, company: str) -> CompanyProfile | None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = httpx.get(
                f"{self.base_url}/companies",
                params={"name": company},
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise ToolFailed(f"company information service unreachable: {error}") from error
        if response.status_code == 404:
            return None
        if response.status_code >= 500 or response.status_code == 429:
            raise ToolFailed(
                f"company information service returned HTTP {response.status_code}; retrying"
            )
        if response.status_code != 200:
            raise ToolFailed(
                f"company information service returned HTTP {response.status_code}; "
                "check the connector's base URL and credentials",
                is_retryable=False,
            )
        try:
            return CompanyProfile.model_validate(response.json())
        except (ValueError, ValidationError) as error:
            raise ToolFailed(
                "company information service sent an invalid profile", is_retryable=False
            ) from error


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        sender_name: str | None = None,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.sender_name = sender_name
        self.username = username
        self.password = password
        self.use_tls = use_tls
        self.timeout = timeout

    def send(self, recipient: str, subject: str, body: str, message_id: str) -> None:
        message = EmailMessage()
        message["From"] = formataddr((self.sender_name or "", self.sender))
        message["To"] = recipient
        message["Subject"] = subject
        # A stable Message-ID lets the receiving side drop a copy sent twice.
        message["Message-ID"] = message_id
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                if self.use_tls:
                    client.starttls()
                if self.username and self.password:
                    client.login(self.username, self.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise ToolFailed(f"email not sent: {error}") from error


@dataclass
class Connectors:
    company_info: CompanyInfoConnector | None = None
    mailer: Mailer | None = None


class CompanyInfoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(pattern=r"^https?://", max_length=500)
    api_key: str | None = Field(default=None, max_length=500)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(max_length=255)
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    sender_name: str | None = Field(default=None, max_length=100)
    username: str | None = Field(default=None, max_length=254)
    password: str | None = Field(default=None, max_length=500)
    use_tls: bool = False


def connectors_from_config(config: dict[str, Any]) -> Connectors:
    """Build the connectors an agent's stored configuration describes."""
    company: CompanyInfoConnector | None = None
    mailer: Mailer | None = None
    if config.get("company_info"):
        settings = CompanyInfoSettings.model_validate(config["company_info"])
        company = HttpCompanyInfo(settings.base_url, settings.api_key, settings.timeout_seconds)
    if config.get("smtp"):
        smtp = SmtpSettings.model_validate(config["smtp"])
        mailer = SmtpMailer(
            smtp.host,
            smtp.port,
            smtp.sender,
            smtp.sender_name,
            smtp.username,
            smtp.password,
            smtp.use_tls,
        )
    return Connectors(company_info=company, mailer=mailer)
