"""Marketing settings of a tenant: read, replace (PUT) and merge-patch (PATCH).

PUT replaces the whole object, so its body must name every field. PATCH is a
JSON merge patch (RFC 7396) that changes only the fields it names, so a client
that edits the send costs leaves the channels and quiet hours as they are.
Channel secrets are encrypted on write and returned masked. A write keeps a
stored secret when it leaves the secret out or sends the masked value back.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from zhike.ai.llm.secrets import encrypt_secret, mask_secret
from zhike.audit.service import record_event
from zhike.core.errors import PreconditionFailed
from zhike.marketing.automation_models import MarketingSettings
from zhike.marketing.automation_schemas import SettingsBody, SettingsPatch, SettingsRead
from zhike.marketing.consent import tenant_settings
from zhike.security.access import require
from zhike.security.context import Actor

SECRET_KEYS = ("password", "access_key_secret", "corp_secret")


def settings_view(row: MarketingSettings) -> SettingsRead:
    channels = {
        name: {
            key: (mask_secret("********") if key in SECRET_KEYS and value else value)
            for key, value in config.items()
        }
        for name, config in (row.channels or {}).items()
    }
    return SettingsRead(
        double_opt_in_channels=row.double_opt_in_channels,
        quiet_hours_start=row.quiet_hours_start,
        quiet_hours_end=row.quiet_hours_end,
        frequency_cap=row.frequency_cap,
        frequency_window_days=row.frequency_window_days,
        public_base_url=row.public_base_url,
        unsubscribe_link_days=row.unsubscribe_link_days,
        channels=channels,
        send_costs=row.send_costs or {},
        version=row.version,
    )


def read_settings(session: Session, actor: Actor) -> SettingsRead:
    require(actor, "journeys", "read")
    return settings_view(tenant_settings(session, actor.tenant_id))


def _row_for_update(
    session: Session, actor: Actor, expected_version: int | None
) -> MarketingSettings:
    require(actor, "journeys", "update")
    require(actor, "consents", "update")
    row = tenant_settings(session, actor.tenant_id)
    if expected_version is not None and row.version != expected_version:
        raise PreconditionFailed("version_mismatch", expected=expected_version, current=row.version)
    return row


def _is_new_secret(value: Any) -> bool:
    # The masked value that GET returns starts with "*"; sending it back changes nothing.
    return bool(value) and not str(value).startswith("*")


def _replace_channel(
    stored: dict[str, Any], config: dict[str, Any], tenant_id: uuid.UUID
) -> dict[str, Any]:
    """Build a channel's new configuration from ``config``, keeping stored secrets it omits."""
    replaced = {key: value for key, value in config.items() if key not in SECRET_KEYS}
    for key in SECRET_KEYS:
        value = config.get(key)
        if _is_new_secret(value):
            replaced[key] = encrypt_secret(str(value), tenant_id)
        elif stored.get(key):
            replaced[key] = stored[key]
    return replaced


def _merge_channel(
    stored: dict[str, Any], patch: dict[str, Any], tenant_id: uuid.UUID
) -> dict[str, Any]:
    """Apply a merge patch to a channel's configuration: null removes a key."""
    merged = dict(stored)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif key not in SECRET_KEYS:
            merged[key] = value
        elif _is_new_secret(value):
            merged[key] = encrypt_secret(str(value), tenant_id)
    return merged


def _audit(session: Session, actor: Actor, row: MarketingSettings, fields: list[str]) -> None:
    # Field names only: channel configurations contain secrets.
    record_event(
        session,
        actor,
        "config.change",
        object_name="marketing_settings",
        record_id=actor.tenant_id,
        details={"fields": sorted(fields), "version": row.version},
    )


def replace_settings(
    session: Session, actor: Actor, body: SettingsBody, expected_version: int | None = None
) -> SettingsRead:
    """Replace every field of the settings (PUT)."""
    row = _row_for_update(session, actor, expected_version)
    stored_channels = row.channels or {}
    for name, value in body.model_dump(exclude={"channels", "send_costs"}).items():
        setattr(row, name, value)
    row.channels = {
        name: _replace_channel(stored_channels.get(name, {}), config, actor.tenant_id)
        for name, config in body.channels.items()
    }
    # JSON columns take no Decimal, so the amounts are stored as exact strings.
    row.send_costs = {name: cost.model_dump(mode="json") for name, cost in body.send_costs.items()}
    row.version += 1
    session.flush()
    _audit(session, actor, row, list(SettingsBody.model_fields))
    return settings_view(row)


def patch_settings(
    session: Session, actor: Actor, patch: SettingsPatch, expected_version: int | None = None
) -> SettingsRead:
    """Change the fields that ``patch`` names (PATCH, JSON merge patch)."""
    row = _row_for_update(session, actor, expected_version)
    fields = set(patch.model_fields_set)
    for name in fields - {"channels", "send_costs"}:
        setattr(row, name, getattr(patch, name))
    if patch.channels is not None:
        channels = dict(row.channels or {})
        for name, config in patch.channels.items():
            if config is None:
                channels.pop(name, None)
            else:
                channels[name] = _merge_channel(channels.get(name, {}), config, actor.tenant_id)
        row.channels = channels
    if patch.send_costs is not None:
        costs = dict(row.send_costs or {})
        for name, cost in patch.send_costs.items():
            if cost is None:
                costs.pop(name, None)
            else:
                costs[name] = cost.model_dump(mode="json")
        row.send_costs = costs
    if fields:
        row.version += 1
        session.flush()
        _audit(session, actor, row, list(fields))
    return settings_view(row)
