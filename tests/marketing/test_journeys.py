"""Journeys: graph validation, durable execution, waits, branches, A/B splits, goals, actions."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from marketing_support import configure_email, create_contact, grant, smtp_server
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.marketing.automation_models import JourneyEnrollment, MessageSend
from zhike.marketing.consent import tenant_settings
from zhike.marketing.engagement import add_event
from zhike.marketing.jobs import apply_changes
from zhike.marketing.journey_engine import run_due, run_due_batch
from zhike.marketing.sending import dispatch_due
from zhike.sales.models import Activity


def _journey(client: TestClient, name: str, graph: dict[str, Any], activate: bool = True) -> str:
    response = client.post("/api/v1/marketing/journeys", json={"name": name, "graph": graph})
    assert response.status_code == 201, response.text
    journey_id = str(response.json()["id"])
    if activate:
        assert client.post(f"/api/v1/marketing/journeys/{journey_id}/activate").status_code == 200
    return journey_id


def _enroll(client: TestClient, journey_id: str, contacts: list[str]) -> None:
    response = client.post(
        f"/api/v1/marketing/journeys/{journey_id}/enrollments", json={"ids": contacts}
    )
    assert response.status_code == 200, response.text


def _send(step_id: str, subject: str, next_step: str | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {
        "type": "send",
        "id": step_id,
        "channel": "email",
        "subject": subject,
        "body": subject,
    }
    if next_step:
        step["next"] = next_step
    return step


def _sends(database: Database, tenant: TenantInfo) -> list[tuple[str, str | None, str]]:
    with database.session() as session:
        rows = session.execute(
            select(MessageSend.address, MessageSend.subject, MessageSend.status)
            .where(MessageSend.tenant_id == tenant.tenant.id)
            .order_by(MessageSend.address, MessageSend.subject)
        ).all()
    return sorted((str(address), subject, status) for address, subject, status in rows)


def _advance(database: Database, minutes: int = 0) -> None:
    moment = utc_now() + timedelta(minutes=minutes)
    while run_due(database, moment):
        pass
    while dispatch_due(database, now=moment):
        pass


def _contacts(client: TestClient, *names: str) -> list[str]:
    ids = []
    for name in names:
        contact = create_contact(client, name, email=f"{name}@example.com")
        grant(client, contact)
        ids.append(contact)
    return ids


def test_invalid_graph_lists_each_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/marketing/journeys",
        json={
            "name": "坏旅程",
            "graph": {
                "trigger": {"kind": "segment_joined"},
                "start": "a",
                "steps": [_send("a", "一", "missing")],
            },
        },
    )

    assert response.status_code == 422
    messages = " ".join(error["message"] for error in response.json()["errors"])
    assert "trigger segment_joined needs segment_id" in messages
    assert client.get("/api/v1/marketing/journeys").json() == []


def test_unreachable_step_is_rejected(client: TestClient) -> None:
    response = client.post(
        "/api/v1/marketing/journeys",
        json={
            "name": "孤立步骤",
            "graph": {
                "trigger": {"kind": "manual"},
                "start": "a",
                "steps": [_send("a", "一"), _send("b", "二")],
            },
        },
    )
    assert response.status_code == 422
    assert "steps ['b'] cannot be reached from a" in response.json()["errors"][0]["message"]


def test_wait_and_engagement_branch(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        opener, ignorer = _contacts(client, "opener", "ignorer")
        journey = _journey(
            client,
            "培育旅程",
            {
                "trigger": {"kind": "manual"},
                "start": "welcome",
                "steps": [
                    _send("welcome", "欢迎", "pause"),
                    {"type": "wait", "id": "pause", "minutes": 60, "next": "opened"},
                    {
                        "type": "condition",
                        "id": "opened",
                        "rules": [{"kind": "engagement", "event": "opened"}],
                        "then": "thanks",
                        "otherwise": "reminder",
                    },
                    _send("thanks", "感谢阅读"),
                    _send("reminder", "别错过"),
                ],
            },
        )
        _enroll(client, journey, [opener, ignorer])

        _advance(database)
        with database.session() as session:
            welcome = session.scalars(
                select(MessageSend).where(MessageSend.contact_id == uuid.UUID(opener))
            ).one()
            add_event(
                session,
                tenant.tenant.id,
                "opened",
                contact_id=uuid.UUID(opener),
                journey_id=welcome.journey_id,
                step_id="welcome",
                send_id=welcome.id,
            )
        _advance(database, minutes=30)
        halfway = _sends(database, tenant)
        _advance(database, minutes=61)

        assert halfway == [
            ("ignorer@example.com", "欢迎", "sent"),
            ("opener@example.com", "欢迎", "sent"),
        ]
        assert _sends(database, tenant) == sorted(
            [
                ("ignorer@example.com", "欢迎", "sent"),
                ("ignorer@example.com", "别错过", "sent"),
                ("opener@example.com", "感谢阅读", "sent"),
                ("opener@example.com", "欢迎", "sent"),
            ]
        )
        assert len(sink.messages) == 4
        metrics = client.get(f"/api/v1/marketing/journeys/{journey}/metrics").json()
        assert metrics["enrollments"] == {"completed": 2}
        welcome_row = next(row for row in metrics["steps"] if row["step_id"] == "welcome")
        assert (welcome_row["delivered"], welcome_row["opened"]) == (2, 1)


def test_crash_before_commit_then_restart_sends_once(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contacts = _contacts(client, "crash1", "crash2", "crash3")
        journey = _journey(
            client,
            "崩溃恢复",
            {
                "trigger": {"kind": "manual"},
                "start": "one",
                "steps": [_send("one", "第一封", "two"), _send("two", "第二封")],
            },
        )
        _enroll(client, journey, contacts)

        # A worker dies in the middle of a batch: nothing of the batch is committed.
        advanced = []

        def killed_worker() -> None:
            with database.session() as session:
                advanced.append(run_due_batch(session, utc_now(), 500))
                raise RuntimeError("worker killed")

        with pytest.raises(RuntimeError):
            killed_worker()
        assert advanced == [3]
        assert _sends(database, tenant) == []

        _advance(database)
        # The position write is lost after the send requests were stored: a replay from
        # the old position requests again with the same send keys and gets the stored requests.
        with database.session() as session:
            for enrollment in session.scalars(
                select(JourneyEnrollment).where(JourneyEnrollment.journey_id == uuid.UUID(journey))
            ):
                enrollment.state, enrollment.step_id, enrollment.step_count = "active", "one", 0
                enrollment.wake_at, enrollment.finished_at = utc_now(), None
        _advance(database)

        assert len(_sends(database, tenant)) == 6
        assert len(sink.messages) == 6
        assert len({message["Message-ID"] for message in sink.messages}) == 6


def test_claimed_sends_of_dead_worker_are_retried(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        (contact,) = _contacts(client, "claimed")
        journey = _journey(
            client,
            "认领",
            {"trigger": {"kind": "manual"}, "start": "one", "steps": [_send("one", "单封")]},
        )
        _enroll(client, journey, [contact])
        moment = utc_now()
        run_due(database, moment)
        with database.session() as session:
            send = session.scalars(
                select(MessageSend).where(MessageSend.tenant_id == tenant.tenant.id)
            ).one()
            send.status, send.scheduled_at = "sending", moment

        before_timeout = dispatch_due(database, now=moment + timedelta(minutes=1))
        after_timeout = dispatch_due(database, now=moment + timedelta(minutes=6))

        assert before_timeout == 0
        assert after_timeout == 1
        assert _sends(database, tenant) == [("claimed@example.com", "单封", "sent")]
        assert len(sink.messages) == 1


def test_ab_split_is_stable_and_winner_applies(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (_, port):
        configure_email(client, port)
        contacts = _contacts(client, *[f"ab{index}" for index in range(40)])
        journey = _journey(
            client,
            "AB测试",
            {
                "trigger": {"kind": "manual"},
                "start": "split",
                "steps": [
                    {
                        "type": "split",
                        "id": "split",
                        "metric": "clicked",
                        "minimum_detectable_effect": 0.6,
                        "branches": [
                            {"name": "A", "next": "subject_a"},
                            {"name": "B", "next": "subject_b"},
                        ],
                    },
                    _send("subject_a", "标题甲"),
                    _send("subject_b", "标题乙"),
                ],
            },
        )
        _enroll(client, journey, contacts)
        _advance(database)
        with database.session() as session:
            arms = dict(
                session.execute(
                    select(MessageSend.contact_id, MessageSend.variant).where(
                        MessageSend.journey_id == uuid.UUID(journey)
                    )
                ).all()
            )
            for contact_id, variant in arms.items():
                if variant == "split=B":
                    add_event(
                        session,
                        tenant.tenant.id,
                        "clicked",
                        contact_id=contact_id,
                        journey_id=uuid.UUID(journey),
                        variant=variant,
                    )
        counts = {
            name: sum(1 for value in arms.values() if value == f"split={name}") for name in "AB"
        }

        result = client.get(f"/api/v1/marketing/journeys/{journey}/ab-tests").json()[0]

        assert counts["A"] + counts["B"] == 40
        assert min(counts.values()) >= 10
        assert result["test"] == "two_proportion_z"
        assert [arm["successes"] for arm in result["arms"]] == [0, counts["B"]]
        assert result["is_significant"] is True
        assert result["winner"] == "B"
        stored = client.get(f"/api/v1/marketing/journeys/{journey}").json()
        assert stored["winners"] == {"split": "B"}

        late = _contacts(client, "late1", "late2", "late3")
        _enroll(client, journey, late)
        _advance(database)
        with database.session() as session:
            variants = session.scalars(
                select(MessageSend.variant).where(
                    MessageSend.contact_id.in_([uuid.UUID(c) for c in late])
                )
            ).all()
        assert variants == ["split=B", "split=B", "split=B"]


def test_wait_for_event_or_timeout(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (_, port):
        configure_email(client, port)
        clicker, sleeper = _contacts(client, "clicker", "sleeper")
        journey = _journey(
            client,
            "等待点击",
            {
                "trigger": {"kind": "manual"},
                "start": "offer",
                "steps": [
                    _send("offer", "优惠", "wait"),
                    {
                        "type": "wait",
                        "id": "wait",
                        "mode": "until_event",
                        "event": "clicked",
                        "minutes": 120,
                        "next": "welcome_buyer",
                        "on_timeout": "nudge",
                    },
                    _send("welcome_buyer", "已点击"),
                    _send("nudge", "提醒"),
                ],
            },
        )
        _enroll(client, journey, [clicker, sleeper])
        _advance(database)
        with database.session() as session:
            add_event(session, tenant.tenant.id, "clicked", contact_id=uuid.UUID(clicker))
        apply_changes(database)
        _advance(database, minutes=1)
        early = _sends(database, tenant)
        _advance(database, minutes=121)

        assert ("clicker@example.com", "已点击", "sent") in early
        assert ("sleeper@example.com", "提醒", "sent") not in early
        assert ("sleeper@example.com", "提醒", "sent") in _sends(database, tenant)


def test_goal_event_ends_journey(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (_, port):
        configure_email(client, port)
        (buyer,) = _contacts(client, "buyer")
        journey = _journey(
            client,
            "转化目标",
            {
                "trigger": {"kind": "manual"},
                "goal_event": "converted",
                "start": "one",
                "steps": [
                    _send("one", "第一封", "wait"),
                    {"type": "wait", "id": "wait", "minutes": 1440, "next": "two"},
                    _send("two", "第二封"),
                ],
            },
        )
        _enroll(client, journey, [buyer])
        _advance(database)
        with database.session() as session:
            add_event(session, tenant.tenant.id, "converted", contact_id=uuid.UUID(buyer))
        apply_changes(database)
        _advance(database, minutes=1)

        with database.session() as session:
            state = session.scalar(
                select(JourneyEnrollment.state).where(
                    JourneyEnrollment.contact_id == uuid.UUID(buyer)
                )
            )
        assert state == "goal"
        assert _sends(database, tenant) == [("buyer@example.com", "第一封", "sent")]


def test_segment_join_triggers_journey(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port)
        contact = create_contact(client, "mover", email="mover@example.com", city="上海")
        grant(client, contact)
        segment = client.post(
            "/api/v1/marketing/segments",
            json={
                "name": "北京",
                "definition": {"filters": [{"field": "city", "op": "eq", "value": "北京"}]},
            },
        ).json()
        _journey(
            client,
            "北京欢迎",
            {
                "trigger": {"kind": "segment_joined", "segment_id": segment["id"]},
                "start": "hi",
                "steps": [_send("hi", "北京见")],
            },
        )
        apply_changes(database)

        client.patch(f"/api/v1/contacts/{contact}", json={"city": "北京"})
        apply_changes(database)
        _advance(database)

        assert _sends(database, tenant) == [("mover@example.com", "北京见", "sent")]
        assert len(sink.messages) == 1


def test_journey_quiet_hours_defer_send(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    with smtp_server() as (sink, port):
        configure_email(client, port, quiet_hours_start="00:00", quiet_hours_end="23:59")
        (contact,) = _contacts(client, "night")
        journey = _journey(
            client,
            "夜间",
            {"trigger": {"kind": "manual"}, "start": "one", "steps": [_send("one", "夜间消息")]},
        )
        _enroll(client, journey, [contact])
        _advance(database)

        assert _sends(database, tenant) == [("night@example.com", "夜间消息", "deferred")]
        assert sink.messages == []


class _Hooks(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, Any], str, str]]] = []

    def log_message(self, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hooks.received.append((json.loads(body), self.headers["X-Zhike-Signature"], body.hex()))
        self.send_response(204)
        self.end_headers()


def test_action_steps(client: TestClient, database: Database, tenant: TenantInfo) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _Hooks.received = []
        contact = create_contact(client, "行动者", email="actor@example.com")
        static = client.post(
            "/api/v1/marketing/segments", json={"name": "旅程名单", "kind": "static"}
        ).json()
        journey = _journey(
            client,
            "动作",
            {
                "trigger": {"kind": "manual"},
                "start": "task",
                "steps": [
                    {
                        "type": "create_task",
                        "id": "task",
                        "subject": "回访客户",
                        "due_in_hours": 48,
                        "next": "field",
                    },
                    {
                        "type": "update_field",
                        "id": "field",
                        "field": "title",
                        "value": "已培育",
                        "next": "list",
                    },
                    {
                        "type": "add_to_list",
                        "id": "list",
                        "segment_id": static["id"],
                        "next": "hook",
                    },
                    {
                        "type": "webhook",
                        "id": "hook",
                        "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
                        "next": "score",
                    },
                    {"type": "score", "id": "score"},
                ],
            },
        )
        _enroll(client, journey, [contact])
        _advance(database)

        with database.session() as session:
            tasks = session.scalars(
                select(Activity).where(Activity.contact_id == uuid.UUID(contact))
            ).all()
            key = tenant_settings(session, tenant.tenant.id).signing_key
            state = session.scalar(
                select(JourneyEnrollment.state).where(
                    JourneyEnrollment.contact_id == uuid.UUID(contact)
                )
            )
        assert [(task.kind, task.subject) for task in tasks] == [("task", "回访客户")]
        assert client.get(f"/api/v1/contacts/{contact}").json()["title"] == "已培育"
        members = client.get(f"/api/v1/marketing/segments/{static['id']}/members").json()["ids"]
        assert members == [contact]
        assert len(_Hooks.received) == 1
        payload, signature, raw = _Hooks.received[0]
        assert payload["contact_id"] == contact
        expected = hmac.new(bytes.fromhex(key), bytes.fromhex(raw), hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
        assert state == "completed"
    finally:
        server.shutdown()
