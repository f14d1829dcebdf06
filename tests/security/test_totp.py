"""TOTP: the RFC 6238 algorithm, enrolment, the two-step login, replays and recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime

from auth_helpers import (  # noqa: F401 (fixtures)
    Clock,
    admin_token,
    bearer,
    clock_fixture,
    fresh_limiter_fixture,
    make_client,
    set_policy,
)
from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.security import totp

# RFC 6238 appendix B: the ASCII secret "12345678901234567890", SHA-1.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def test_rfc6238_vectors() -> None:
    expected = {59: "287082", 1111111109: "081804", 1111111111: "050471", 2000000000: "279037"}
    for seconds, code in expected.items():
        assert totp.totp_code(RFC_SECRET, datetime.fromtimestamp(seconds, UTC)) == code


def test_matching_step_drift_and_replay() -> None:
    now = datetime.fromtimestamp(1_700_000_000, UTC)
    step = totp.step_of(now)
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step - 1), now, None) == step - 1
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step - 2), now, None) is None
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step), now, step) is None
    assert totp.matching_step(RFC_SECRET, "12345", now, None) is None


def _enrol(client: TestClient, token: str, clock: Clock) -> tuple[str, list[str]]:
    setup = client.post("/api/v1/auth/totp/enrol", headers=bearer(token)).json()
    secret = setup["secret"]
    assert setup["otpauth_uri"].startswith("otpauth://totp/Zhike:")
    assert f"secret={secret}" in setup["otpauth_uri"]
    wrong = client.post("/api/v1/auth/totp/confirm", json={"code": "000000"}, headers=bearer(token))
    if totp.totp_code(secret, clock.now) != "000000":
        assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_totp_code")
    confirmed = client.post(
        "/api/v1/auth/totp/confirm",
        json={"code": totp.totp_code(secret, clock.now)},
        headers=bearer(token),
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


def _step1(client: TestClient, tenant: TenantInfo) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/auth/login",
        json={
            "tenant": tenant.slug,
            "email": tenant.admin_email,
            "password": tenant.admin_password,
        },
    )
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_two_step_login_replay_and_recovery(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    with make_client(clock) as client:
        before = _step1(client, tenant)
        assert (before["totp_required"], before["totp_enrolled"]) == (False, False)
        token = admin_token(client, tenant)
        secret, recovery = _enrol(client, token, clock)
        assert len(recovery) == 10
        assert len(set(recovery)) == 10
        clock.advance(seconds=30)

        first = _step1(client, tenant)
        assert (first["totp_required"], first["access_token"]) == (True, None)
        assert first["totp_enrolled"] is True
        code = totp.totp_code(secret, clock.now)
        wrong = client.post(
            "/api/v1/auth/login/totp",
            json={
                "challenge_token": first["challenge_token"],
                "code": "999999" if code != "999999" else "111111",
            },
        )
        assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_second_factor")
        ok = client.post(
            "/api/v1/auth/login/totp",
            json={"challenge_token": first["challenge_token"], "code": code},
        )
        assert ok.status_code == 200
        assert (
            client.get("/api/v1/auth/me", headers=bearer(ok.json()["access_token"])).status_code
            == 200
        )
        # The challenge is spent, and the same code in the same step is a replay.
        reused = client.post(
            "/api/v1/auth/login/totp",
            json={"challenge_token": first["challenge_token"], "code": code},
        )
        assert reused.json()["code"] == "invalid_challenge"
        again = _step1(client, tenant)
        replay = client.post(
            "/api/v1/auth/login/totp",
            json={"challenge_token": again["challenge_token"], "code": code},
        )
        assert (replay.status_code, replay.json()["code"]) == (401, "invalid_second_factor")

        by_recovery = client.post(
            "/api/v1/auth/login/totp",
            json={
                "challenge_token": again["challenge_token"],
                "recovery_code": recovery[0].lower(),
            },
        )
        assert by_recovery.status_code == 200
        third = _step1(client, tenant)
        spent = client.post(
            "/api/v1/auth/login/totp",
            json={"challenge_token": third["challenge_token"], "recovery_code": recovery[0]},
        )
        assert spent.json()["code"] == "invalid_second_factor"
        status = client.get("/api/v1/auth/totp", headers=bearer(token)).json()
        assert status == {"enabled": True, "required": False, "recovery_codes_left": 9}

        clock.advance(minutes=6)
        expired = client.post(
            "/api/v1/auth/login/totp",
            json={
                "challenge_token": third["challenge_token"],
                "code": totp.totp_code(secret, clock.now),
            },
        )
        assert expired.json()["code"] == "invalid_challenge"


def test_policy_forces_enrolment_at_login(
    database: Database, tenant: TenantInfo, clock: Clock
) -> None:
    set_policy(database, tenant, require_2fa_roles=["administrator"])
    with make_client(clock) as client:
        first = _step1(client, tenant)
        assert (first["totp_required"], first["totp_enrolled"]) == (True, False)
        setup = client.post(
            "/api/v1/auth/login/totp-setup", json={"challenge_token": first["challenge_token"]}
        )
        secret = setup.json()["secret"]
        done = client.post(
            "/api/v1/auth/login/totp",
            json={
                "challenge_token": first["challenge_token"],
                "code": totp.totp_code(secret, clock.now),
            },
        )
        assert done.status_code == 200
        assert len(done.json()["recovery_codes"]) == 10
        token = done.json()["access_token"]
        refused = client.post(
            "/api/v1/auth/totp/disable", json={"code": "123456"}, headers=bearer(token)
        )
        assert (refused.status_code, refused.json()["code"]) == (409, "totp_required_by_policy")
