"""API bodies for users, teams and tenant settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Locale = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)]


class AdminWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UserCreate(AdminWrite):
    email: Email
    display_name: Name
    password: Password = Field(description="at least 8 characters, stored only as a hash")
    role: str = "sales_rep"
    team_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    locale: Locale | None = None
    is_active: bool = True


class UserUpdate(AdminWrite):
    display_name: Name | None = None
    password: Password | None = None
    role: str | None = None
    team_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    locale: Locale | None = None
    is_active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str
    role: str
    team_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    locale: str | None
    is_active: bool
    created_at: datetime
    version: int
    has_totp: bool = False


class TeamCreate(AdminWrite):
    name: Name
    parent_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class TeamUpdate(AdminWrite):
    name: Name | None = None
    parent_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    region: str | None
    created_at: datetime


class TenantUpdate(AdminWrite):
    name: Name | None = None
    timezone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = (
        Field(default=None, description="IANA time zone, such as Asia/Shanghai")
    )
    currency: Annotated[str, StringConstraints(strip_whitespace=True, max_length=3)] | None = None
    locale: Locale | None = Field(default=None, description="zh-CN or en")
    fiscal_year_start_month: int | None = Field(
        default=None, ge=1, le=12, description="month the fiscal year starts in, 1 to 12"
    )
    working_hours: dict[str, list[tuple[str, str]]] | None = Field(
        default=None,
        description="weekday (mon..sun) to local [start, end] spans, e.g. ['09:00', '18:00']",
    )


class TenantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    timezone: str
    currency: str
    locale: str
    region: str
    fiscal_year_start_month: int = 1
    working_hours: dict[str, list[tuple[str, str]]] = Field(default_factory=dict)
