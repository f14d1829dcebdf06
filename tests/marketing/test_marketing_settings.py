"""Marketing settings: PUT replaces the whole object, PATCH merges, If-Match guards both."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient
from marketing_support import PASSWORD
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.marketing.automation_models import MarketingSettings

URL = "/api/v1/marketing/settings"
FULL = {
    "double_opt_in_channels": ["email"],
    "quiet_hours_start": "22:00",
    "quiet_hours_end": "07:30",
    "frequency_cap": 5,
    "frequency_window_days": 14,
    "public_base_url": "https://crm.example.com",
    "unsubscribe_link_days": 60,
    "channels": {
        "email": {
            "host": "smtp.example.com",
            "port": 465,
            "from_address": "market@example.com",
            "username": "market",
            "password": "smtp-secret",
        }
    },
    "send_costs": {
        "email": {"amount": "0.0100", "currency": "CNY"},
        "sms": {"amount": "0.045", "currency": "cny"},
    },
}


def _stored(database: Database, tenant: TenantInfo) -> MarketingSettings:
    with database.session() as session:
        row = session.scalars(
            select(MarketingSettings).where(MarketingSettings.tenant_id == tenant.tenant.id)
        ).one()
        session.expunge(row)
        return row


def _login_as(client: TestClient, tenant: TenantInfo, role: str) -> TestClient:
    email = f"{role}-{secrets.token_hex(3)}@example.com"
    created = client.post(
        "/api/v1/users",
        json={"email": email, "display_name": role, "password": PASSWORD, "role": role},
    )
    assert created.status_code == 201, created.text
    other = TestClient(client.app)
    token = other.post(
        "/api/v1/auth/login", json={"tenant": tenant.slug, "email": email, "password": PASSWORD}
    ).json()["access_token"]
    other.headers["Authorization"] = f"Bearer {token}"
    return other


def test_put_replaces_and_requires_every_field(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    saved = client.put(URL, json=FULL)
    partial = client.put(URL, json={"frequency_cap": 1})
    after_partial = client.get(URL)

    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["send_costs"] == {
        "email": {"amount": "0.0100", "currency": "CNY"},
        "sms": {"amount": "0.045", "currency": "CNY"},
    }
    assert body["channels"]["email"]["password"] != "smtp-secret"
    assert body["channels"]["email"]["password"].startswith("*")
    assert saved.headers["ETag"] == f'"{tenant.tenant.id}.{body["version"]}"'
    assert partial.status_code == 422
    missing = {error["field"] for error in partial.json()["errors"]}
    assert "send_costs" in missing
    assert "channels" in missing
    assert after_partial.json() == body
    encrypted = _stored(database, tenant).channels["email"]["password"]
    assert encrypted != "smtp-secret"

    # A full replacement drops what it leaves out, except a secret sent back masked.
    replacement: dict[str, Any] = {**body, "send_costs": {}}
    replacement.pop("version")
    replacement["channels"] = {"email": {**body["channels"]["email"], "port": 587}}
    replacement["channels"]["email"].pop("username")
    replaced = client.put(URL, json=replacement)

    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["send_costs"] == {}
    assert replaced.json()["channels"]["email"]["port"] == 587
    assert "username" not in replaced.json()["channels"]["email"]
    assert _stored(database, tenant).channels["email"]["password"] == encrypted


def test_patch_changes_only_named_fields(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    assert client.put(URL, json=FULL).status_code == 200
    encrypted = _stored(database, tenant).channels["email"]["password"]

    costs = client.patch(URL, json={"send_costs": {"wecom": {"amount": "0.02", "currency": "CNY"}}})
    port = client.patch(URL, json={"channels": {"email": {"port": 25, "username": None}}})
    removed = client.patch(
        URL, json={"send_costs": {"sms": None}, "quiet_hours_start": None, "quiet_hours_end": None}
    )
    merge_type = client.patch(
        URL,
        content=b'{"frequency_cap": 9}',
        headers={"Content-Type": "application/merge-patch+json"},
    )

    assert costs.status_code == 200, costs.text
    assert costs.json()["send_costs"] == {
        "email": {"amount": "0.0100", "currency": "CNY"},
        "sms": {"amount": "0.045", "currency": "CNY"},
        "wecom": {"amount": "0.02", "currency": "CNY"},
    }
    assert costs.json()["channels"]["email"]["host"] == "smtp.example.com"
    assert costs.json()["frequency_cap"] == 5
    assert port.status_code == 200, port.text
    assert port.json()["channels"]["email"]["port"] == 25
    assert "username" not in port.json()["channels"]["email"]
    assert removed.status_code == 200, removed.text
    assert set(removed.json()["send_costs"]) == {"email", "wecom"}
    assert removed.json()["quiet_hours_start"] is None
    assert removed.json()["double_opt_in_channels"] == ["email"]
    assert merge_type.status_code == 200, merge_type.text
    assert merge_type.json()["frequency_cap"] == 9
    assert merge_type.json()["version"] == costs.json()["version"] + 3
    stored = _stored(database, tenant)
    assert stored.channels["email"]["password"] == encrypted
    assert stored.send_costs["wecom"] == {"amount": "0.02", "currency": "CNY"}


def test_patch_rejects_invalid_values(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    assert client.put(URL, json=FULL).status_code == 200
    version = client.get(URL).json()["version"]

    null_cap = client.patch(URL, json={"frequency_cap": None})
    fax_cost = client.patch(URL, json={"send_costs": {"fax": {"amount": "1", "currency": "CNY"}}})
    fax_opt_in = client.patch(URL, json={"double_opt_in_channels": ["fax"]})
    bad_currency = client.patch(
        URL, json={"send_costs": {"sms": {"amount": "0.05", "currency": "XYZ"}}}
    )
    negative = client.patch(URL, json={"send_costs": {"sms": {"amount": "-1", "currency": "CNY"}}})
    bad_time = client.patch(URL, json={"quiet_hours_start": "25:00"})
    unknown_field = client.patch(URL, json={"send_cost": {}})

    assert null_cap.status_code == 422
    assert "frequency_cap cannot be null" in null_cap.text
    assert fax_cost.status_code == 422
    assert "unknown channel fax in send_costs" in fax_cost.text
    assert fax_opt_in.status_code == 422
    assert "unknown channel fax in double_opt_in_channels" in fax_opt_in.text
    assert bad_currency.status_code == 422
    assert "XYZ" in bad_currency.text
    assert negative.status_code == 422
    assert bad_time.status_code == 422
    assert unknown_field.status_code == 422
    assert client.get(URL).json()["version"] == version
    assert _stored(database, tenant).frequency_cap == 5


def test_if_match_and_roles(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    read = client.get(URL)
    etag = read.headers["ETag"]
    version = read.json()["version"]
    anonymous = TestClient(client.app)
    rep = _login_as(client, tenant, "sales_rep")
    analyst = _login_as(client, tenant, "analyst")
    marketer = _login_as(client, tenant, "marketer")

    assert anonymous.patch(URL, json={"frequency_cap": 1}).status_code == 401
    assert rep.get(URL).status_code == 403
    assert rep.patch(URL, json={"frequency_cap": 1}).status_code == 403
    assert analyst.get(URL).status_code == 200
    assert analyst.patch(URL, json={"frequency_cap": 1}).status_code == 403
    assert client.get(URL).json()["version"] == version

    first = marketer.patch(URL, json={"frequency_cap": 4}, headers={"If-Match": etag})
    stale = client.patch(URL, json={"frequency_cap": 6}, headers={"If-Match": etag})
    stale_put = client.put(URL, json=FULL, headers={"If-Match": etag})

    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == f'"{tenant.tenant.id}.{version + 1}"'
    assert stale.status_code == 412
    assert stale.json()["code"] == "version_mismatch"
    assert stale_put.status_code == 412
    assert _stored(database, tenant).frequency_cap == 4
