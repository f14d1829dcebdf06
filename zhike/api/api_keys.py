"""API keys, OAuth clients, and the OAuth 2.0 token endpoint (client credentials)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Form, Header, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from zhike.api.deps import ActorDep, SessionDep, request_clock, request_ip
from zhike.core.errors import Forbidden
from zhike.core.i18n import negotiate_locale
from zhike.security import api_keys, oauth
from zhike.security.ipallow import ip_allowed
from zhike.security.models import ApiClient, Tenant
from zhike.security.policy import policy_for

router = APIRouter(tags=["api keys"])


class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: dict[str, Any] = Field(
        description='{"accounts": {"actions": ["read"], "fields": ["name", "city"]}}; '
        "fields null or absent allows every field"
    )
    expires_at: datetime | None = None
    allowed_ips: list[str] = Field(default_factory=list, description="CIDRs; empty allows all")

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        return [str(ipaddress.ip_network(item.strip(), strict=False)) for item in value]


class ClientRead(BaseModel):
    id: uuid.UUID
    kind: str
    name: str
    client_id: str
    scopes: dict[str, Any]
    allowed_ips: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ClientCreated(ClientRead):
    secret: str = Field(description="shown only in this response")


class ClientList(BaseModel):
    items: list[ClientRead]


def _read(client: ApiClient) -> dict[str, Any]:
    return {
        "id": client.id,
        "kind": client.kind,
        "name": client.name,
        "client_id": client.prefix,
        "scopes": client.scopes,
        "allowed_ips": client.allowed_ips,
        "created_at": client.created_at,
        "expires_at": client.expires_at,
        "revoked_at": client.revoked_at,
        "last_used_at": client.last_used_at,
    }


def _client_routes(kind: Literal["api_key", "oauth_client"], path: str) -> None:
    @router.post(
        f"/{path}",
        response_model=ClientCreated,
        status_code=status.HTTP_201_CREATED,
        name=f"create_{kind}",
    )
    def create(
        body: ClientCreate, session: SessionDep, actor: ActorDep, request: Request
    ) -> ClientCreated:
        """Administrators only. The secret is in this response and never again."""
        client, secret = api_keys.create_client(
            session,
            actor,
            kind=kind,
            name=body.name,
            scopes=body.scopes,
            expires_at=body.expires_at,
            allowed_ips=body.allowed_ips,
            now=request_clock(request),
        )
        return ClientCreated(**_read(client), secret=secret)

    @router.get(f"/{path}", response_model=ClientList, name=f"list_{kind}s")
    def list_clients(session: SessionDep, actor: ActorDep) -> ClientList:
        return ClientList(
            items=[
                ClientRead(**_read(client))
                for client in api_keys.list_clients(session, actor, kind)
            ]
        )

    @router.delete(
        f"/{path}/{{client_id}}", status_code=status.HTTP_204_NO_CONTENT, name=f"revoke_{kind}"
    )
    def revoke(
        client_id: uuid.UUID, session: SessionDep, actor: ActorDep, request: Request
    ) -> None:
        api_keys.revoke_client(session, actor, kind, client_id, now=request_clock(request))


_client_routes("api_key", "api-keys")
_client_routes("oauth_client", "oauth/clients")


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        return None
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
    return unquote(client_id), unquote(secret)


def _oauth_error(request: Request, code: str, status_code: int, **params: Any) -> JSONResponse:
    from zhike.core.i18n import translate

    locale = negotiate_locale(request.headers.get("accept-language"))
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status_code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="zhike"'
    return JSONResponse(
        {"error": code, "error_description": translate(f"error.{code}", locale, **params)},
        status_code=status_code,
        headers=headers,
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6749 token type, not a secret
    expires_in: int
    scope: str


@router.post("/oauth/token", response_model=TokenResponse)
def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[str, Form()],
    scope: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Any:
    """Client credentials grant (RFC 6749 §4.4): HTTP Basic or form client_id/client_secret."""
    if grant_type != "client_credentials":
        return _oauth_error(request, "unsupported_grant_type", 400, grant_type=grant_type)
    credentials = _basic_credentials(authorization)
    if credentials is None and client_id and client_secret:
        credentials = (client_id, client_secret)
    if credentials is None:
        return _oauth_error(request, "invalid_client", 401)
    now = request_clock(request)
    try:
        access_token, client, scopes = oauth.issue_token(
            session, credentials[0], credentials[1], scope, now=now
        )
    except oauth.OAuthError as error:
        return _oauth_error(request, error.code, error.status, **error.params)
    tenant = session.get(Tenant, client.tenant_id)
    ip = request_ip(request)
    if tenant is None or not (
        ip_allowed(ip, policy_for(tenant).ip_allowlist_api) and ip_allowed(ip, client.allowed_ips)
    ):
        raise Forbidden("ip_not_allowed", ip=ip or "?")
    return JSONResponse(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(oauth.ACCESS_TOKEN_LIFETIME.total_seconds()),
            "scope": oauth.scope_string(scopes),
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
