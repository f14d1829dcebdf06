"""State shared by the demo's generation steps: random streams, clock and what exists so far."""

from __future__ import annotations

import bisect
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from zhike.core.db import Base
from zhike.core.timeutil import load_zone
from zhike.demo.identifiers import demo_id
from zhike.demo.vocabulary import (
    FEMALE_GIVEN,
    MALE_GIVEN,
    SURNAMES,
    City,
    ProductSpec,
)
from zhike.demo.writer import DemoWriter
from zhike.sales.models import PipelineStage
from zhike.security.context import Actor

HISTORY_DAYS = 730

_SURNAME_WEIGHTS = [1 / (rank + 4) for rank in range(len(SURNAMES))]


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    pinyin: str  # "given.surname", the local part of a made-up email address
    male: bool


@dataclass(slots=True)
class DemoAccount:
    id: uuid.UUID
    name: str
    short_name: str
    city: City
    division_code: str
    domain: str
    owner_id: uuid.UUID
    created_at: datetime


@dataclass(slots=True)
class DemoContact:
    id: uuid.UUID
    account: DemoAccount
    name: str


@dataclass(slots=True)
class DemoOpportunity:
    id: uuid.UUID
    account: DemoAccount
    contact_id: uuid.UUID | None
    owner_id: uuid.UUID
    created_at: datetime
    closed_at: datetime | None
    is_won: bool | None


@dataclass(slots=True)
class DemoLead:
    id: uuid.UUID
    status: str
    owner_id: uuid.UUID
    created_at: datetime
    until: datetime  # the last moment anything happens on the lead


@dataclass
class DemoContext:
    session: Session
    actor: Actor
    writer: DemoWriter
    seed: int
    today: date  # in the tenant's time zone; the data set ends where this day starts
    zone_name: str
    managers_by_region: dict[str, uuid.UUID] = field(default_factory=dict)
    reps_by_region: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    service_agents: list[uuid.UUID] = field(default_factory=list)
    marketers: list[uuid.UUID] = field(default_factory=list)
    accounts: list[DemoAccount] = field(default_factory=list)
    contacts: list[DemoContact] = field(default_factory=list)
    contacts_by_account: dict[uuid.UUID, list[DemoContact]] = field(default_factory=dict)
    products: list[tuple[uuid.UUID, ProductSpec]] = field(default_factory=list)
    stages: list[PipelineStage] = field(default_factory=list)
    opportunities: list[DemoOpportunity] = field(default_factory=list)
    leads: list[DemoLead] = field(default_factory=list)

    def rng(self, step: str) -> random.Random:
        """Return a random stream for one step, so that one step's draws never shift another's."""
        # Seeded on purpose: the demo must be reproducible, and it protects no secret.
        return random.Random(f"{self.seed}:{step}")  # noqa: S311

    @property
    def end(self) -> datetime:
        """The instant today began in the tenant's zone; all history lies before it."""
        start = datetime.combine(self.today, time.min, tzinfo=load_zone(self.zone_name))
        return start.astimezone(UTC)

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=HISTORY_DAYS)

    def moment(self, rng: random.Random, earliest: datetime, latest: datetime) -> datetime:
        """Return a local office-hours time between two instants, to the minute."""
        if latest <= earliest:
            return earliest
        zone = load_zone(self.zone_name)
        first = earliest.astimezone(zone).date()
        last = latest.astimezone(zone).date()
        day = first + timedelta(days=rng.randrange((last - first).days + 1))
        minute = rng.randrange(9 * 60, 18 * 60 + 30)
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
        return min(max(local.astimezone(UTC), earliest), latest)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(load_zone(self.zone_name)).date()

    def new_id(self, rng: random.Random, created_at: datetime) -> uuid.UUID:
        return demo_id(rng, created_at)

    def add(self, model: type[Base], values: dict[str, object], created_at: datetime) -> uuid.UUID:
        return self.writer.add(model, dict(values), created_at)

    def accounts_before(self, instant: datetime) -> list[DemoAccount]:
        """Accounts created before ``instant``; ``accounts`` is kept sorted by creation."""
        keys = [account.created_at for account in self.accounts]
        return self.accounts[: bisect.bisect_left(keys, instant)] or self.accounts[:1]


def person(rng: random.Random) -> Person:
    surname, surname_pinyin = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    male = rng.random() < 0.55
    pool = MALE_GIVEN if male else FEMALE_GIVEN
    parts = [rng.choice(pool) for _ in range(1 if rng.random() < 0.35 else 2)]
    given = "".join(part[0] for part in parts)
    given_pinyin = "".join(part[1] for part in parts)
    return Person(surname + given, f"{given_pinyin}.{surname_pinyin}", male)


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))
