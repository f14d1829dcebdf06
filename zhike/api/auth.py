"""Login (with an optional TOTP second step), logout, password change, TOTP and the policy."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from zhike.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    ActorDep,
    AuthContext,
    SessionDep,
    request_clock,
    request_ip,
)
from zhike.audit.query import AUDIT_READER_ROLES
from zhike.core.errors import NotFound, Unauthorized
from zhike.core.settings import get_settings
from zhike.security import auth, totp
from zhike.security.admin import get_user, require_administrator
from zhike.security.context import Actor
from zhike.security.lockout import LoginLocked
from zhike.security.models import AuthSession, Tenant, User
from zhike.security.policy import (
    PolicyDefaults,
    SecurityPolicy,
    policy_defaults,
    policy_for,
    update_policy,
)
from zhike.security.ratelimit import RateLimited
from zhike.security.roles import ACTIONS, ALL_OBJECTS

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    tenant: str = Field(min_length=1, max_length=63, description="tenant slug")
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    mode: Literal["token", "cookie"] = Field(
        default="token",
        description="token: return a bearer token; cookie: set an HTTP-only session cookie",
    )


class LoginResponse(BaseModel):
    """A session, or (``totp_required``) a challenge for ``POST /auth/login/totp``."""

    access_token: str | None = None
    token_type: str = "bearer"  # noqa: S105 - the token type, not a secret
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    display_name: str
    role: str
    totp_required: bool = False
    totp_enrolled: bool = True
    challenge_token: str | None = None
    csrf_token: str | None = None
    recovery_codes: list[str] = Field(
        default_factory=list, description="set once, when the second step confirmed a new TOTP"
    )


class SecondStepRequest(BaseModel):
    challenge_token: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=10)
    recovery_code: str | None = Field(default=None, max_length=40)


class ChallengeRequest(BaseModel):
    challenge_token: str = Field(min_length=1, max_length=200)


class TotpSetup(BaseModel):
    secret: str
    otpauth_uri: str = Field(description="render as a QR code for an authenticator app")


class CodeRequest(BaseModel):
    code: str = Field(min_length=6, max_length=10)


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class TotpStatus(BaseModel):
    enabled: bool
    required: bool
    recovery_codes_left: int


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


Permission = Literal["administer_tenant", "read_audit"]


class ObjectActions(BaseModel):
    """Actions the caller's role grants on one object; ``security.access.require`` checks these."""

    object: str = Field(json_schema_extra={"enum": list(ALL_OBJECTS)})
    actions: list[str] = Field(
        json_schema_extra={"items": {"type": "string", "enum": list(ACTIONS)}}
    )


class Me(BaseModel):
    user_id: uuid.UUID | None
    tenant_id: uuid.UUID
    role: str
    locale: str
    timezone: str
    permissions: list[Permission] = Field(
        description=(
            "tenant-wide rights that decide which administration screens the client shows;"
            " the server checks them again on every request"
        )
    )
    object_actions: list[ObjectActions] = Field(
        description=(
            "objects the role grants at least one action on, in a fixed order; the client"
            " shows a screen only when these allow the requests it makes, and the server"
            " checks every request again. Data scopes and field rules are not included."
        )
    )


def _user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")


def _login_response(result: auth.LoginResult, response: Response) -> LoginResponse:
    user = result.user
    body = LoginResponse(
        user_id=user.id,
        tenant_id=user.tenant_id,
        display_name=user.display_name,
        role=user.role,
        totp_enrolled=result.totp_enrolled,
        recovery_codes=result.recovery_codes,
    )
    if result.issued is None:
        body.totp_required = True
        body.challenge_token = result.challenge_token
        return body
    if result.issued.csrf_token is None:
        body.access_token = result.issued.token
        return body
    settings = get_settings()
    lifetime = int(
        (result.issued.record.expires_at - result.issued.record.created_at).total_seconds()
    )
    common: dict[str, Any] = {
        "max_age": lifetime,
        "secure": settings.cookie_secure,
        "samesite": settings.cookie_samesite,
        "path": "/",
    }
    response.set_cookie(SESSION_COOKIE, result.issued.token, httponly=True, **common)
    response.set_cookie(CSRF_COOKIE, result.issued.csrf_token, httponly=False, **common)
    body.csrf_token = result.issued.csrf_token
    return body


def _remember_retry(request: Request, error: Exception) -> None:
    if isinstance(error, RateLimited):
        request.state.rate_limit = error.result
    elif isinstance(error, LoginLocked):
        request.state.retry_after = error.seconds


@router.post("/login", response_model=LoginResponse)
def login(
    body: LoginRequest, session: SessionDep, request: Request, response: Response
) -> LoginResponse:
    """Step 1. Errors never tell whether an account exists; repeated failures lock the address."""
    try:
        result = auth.authenticate(
            session,
            body.tenant,
            body.email,
            body.password,
            ip=request_ip(request),
            user_agent=_user_agent(request),
            now=request_clock(request),
            cookie=body.mode == "cookie",
        )
    except (RateLimited, LoginLocked) as error:
        _remember_retry(request, error)
        raise
    return _login_response(result, response)


@router.post("/login/totp", response_model=LoginResponse)
def login_second_step(
    body: SecondStepRequest, session: SessionDep, request: Request, response: Response
) -> LoginResponse:
    """Step 2: a TOTP code or a recovery code. For a user still enrolling, the code confirms it."""
    result = auth.complete_challenge(
        session,
        body.challenge_token,
        code=body.code,
        recovery_code=body.recovery_code,
        ip=request_ip(request),
        user_agent=_user_agent(request),
        now=request_clock(request),
    )
    return _login_response(result, response)


@router.post("/login/totp-setup", response_model=TotpSetup)
def login_totp_setup(body: ChallengeRequest, session: SessionDep, request: Request) -> TotpSetup:
    """For a role that must use TOTP and has none yet: a secret to scan before step 2."""
    secret, uri = auth.start_challenge_enrolment(
        session, body.challenge_token, now=request_clock(request)
    )
    return TotpSetup(secret=secret, otpauth_uri=uri)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, actor: ActorDep, request: Request, response: Response) -> None:
    context: AuthContext = request.state.auth
    if context.token is not None:
        auth.logout(session, context.token, ip=request_ip(request), user_agent=_user_agent(request))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def _permissions(actor: Actor) -> list[Permission]:
    # Mirrors require_administrator and require_audit_reader, which guard the endpoints themselves.
    permissions: list[Permission] = []
    if actor.grants.is_administrator or actor.is_system:
        permissions.append("administer_tenant")
    if actor.role in AUDIT_READER_ROLES:
        permissions.append("read_audit")
    return permissions


def _object_actions(actor: Actor) -> list[ObjectActions]:
    # Read from the same resolved role that security.access.require checks.
    listed = []
    for object_name in ALL_OBJECTS:
        grant = actor.grants.grant(object_name)
        actions = [action for action in ACTIONS if grant is not None and action in grant.actions]
        if actions:
            listed.append(ObjectActions(object=object_name, actions=actions))
    return listed


@router.get("/me", response_model=Me)
def me(actor: ActorDep) -> Me:
    return Me(
        user_id=actor.user_id,
        tenant_id=actor.tenant_id,
        role=actor.role,
        locale=actor.locale,
        timezone=actor.timezone,
        permissions=_permissions(actor),
        object_actions=_object_actions(actor),
    )


def _own_user(session: SessionDep, actor: ActorDep) -> User:
    user = session.get(User, actor.user_id) if actor.user_id else None
    if user is None or user.tenant_id != actor.tenant_id:
        raise Unauthorized("invalid_token")
    return user


def _tenant(session: SessionDep, actor: ActorDep) -> Tenant:
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound("record_not_found", object="tenant", id=str(actor.tenant_id))
    return tenant


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange, session: SessionDep, actor: ActorDep, request: Request
) -> None:
    """Change your password under the tenant's rules; your other sessions end."""
    context: AuthContext = request.state.auth
    current = session.get(AuthSession, context.session_id) if context.session_id else None
    auth.change_password(
        session,
        actor,
        body.current_password,
        body.new_password,
        now=request_clock(request),
        keep_session=current,
    )


@router.get("/totp", response_model=TotpStatus)
def totp_status(session: SessionDep, actor: ActorDep) -> TotpStatus:
    user = _own_user(session, actor)
    return TotpStatus(
        enabled=totp.is_enrolled(session, user),
        required=policy_for(_tenant(session, actor)).requires_2fa(user.role),
        recovery_codes_left=totp.remaining_recovery_codes(session, user),
    )


@router.post("/totp/enrol", response_model=TotpSetup)
def totp_enrol(session: SessionDep, actor: ActorDep) -> TotpSetup:
    """Start TOTP: scan the otpauth:// URI (as a QR code), then confirm with a first code."""
    secret, uri = totp.begin_enrolment(session, _tenant(session, actor), _own_user(session, actor))
    return TotpSetup(secret=secret, otpauth_uri=uri)


@router.post("/totp/confirm", response_model=RecoveryCodes)
def totp_confirm(
    body: CodeRequest, session: SessionDep, actor: ActorDep, request: Request
) -> RecoveryCodes:
    """Turn TOTP on; the recovery codes are shown this once and stored only as hashes."""
    codes = totp.confirm_enrolment(
        session, actor, _own_user(session, actor), body.code, now=request_clock(request)
    )
    return RecoveryCodes(recovery_codes=codes)


@router.post("/totp/recovery-codes", response_model=RecoveryCodes)
def totp_new_recovery_codes(
    body: CodeRequest, session: SessionDep, actor: ActorDep, request: Request
) -> RecoveryCodes:
    """Replace every recovery code; needs a current TOTP code."""
    user = _own_user(session, actor)
    now = request_clock(request)
    if (
        totp.verify_second_factor(session, user, code=body.code, recovery_code=None, now=now)
        is None
    ):
        raise Unauthorized("invalid_second_factor")
    return RecoveryCodes(recovery_codes=totp.replace_recovery_codes(session, user, now=now))


@router.post("/totp/disable", status_code=status.HTTP_204_NO_CONTENT)
def totp_disable(body: CodeRequest, session: SessionDep, actor: ActorDep, request: Request) -> None:
    """Turn your TOTP off with a current code (not allowed while your role must use it)."""
    user = _own_user(session, actor)
    if policy_for(_tenant(session, actor)).requires_2fa(user.role):
        from zhike.core.errors import Conflict

        raise Conflict("totp_required_by_policy")
    now = request_clock(request)
    if (
        totp.verify_second_factor(session, user, code=body.code, recovery_code=None, now=now)
        is None
    ):
        raise Unauthorized("invalid_second_factor")
    totp.disable(session, actor, user)


@router.delete("/users/{user_id}/totp", status_code=status.HTTP_204_NO_CONTENT)
def totp_reset(user_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> None:
    """Administrators: remove a user's lost authenticator so they can enrol again."""
    require_administrator(actor)
    totp.disable(session, actor, get_user(session, actor, user_id))


@router.get("/policy", response_model=SecurityPolicy)
def get_policy(session: SessionDep, actor: ActorDep) -> SecurityPolicy:
    require_administrator(actor)
    return policy_for(_tenant(session, actor))


@router.get("/policy/defaults", response_model=PolicyDefaults)
def get_policy_defaults(actor: ActorDep) -> PolicyDefaults:
    """Return the process settings that apply where the policy leaves a value empty."""
    require_administrator(actor)
    return policy_defaults()


@router.put("/policy", response_model=SecurityPolicy)
def put_policy(
    body: dict[str, Any], session: SessionDep, actor: ActorDep, request: Request
) -> SecurityPolicy:
    """Replace the tenant's security policy (see SecurityPolicy); the change is audited."""
    require_administrator(actor)
    return update_policy(session, actor, _tenant(session, actor), body, request_ip(request))
