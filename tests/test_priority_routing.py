"""Journey priority (set by verbs and by rules) and the routing hints every handoff gets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff import (
    FixedClock,
    Inbound,
    PolicyError,
    SeededIds,
    Switchboard,
    ValidationError,
    from_dict,
    to_dict,
)
from handoff.events import Suggestion
from handoff.models import Handoff, Journey, Notification
from handoff.policy import Policy
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Switchboard]:
    if request.param in BACKENDS:
        url = backend_url(request, request.param)
    else:
        url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'p.db'}"
    with Switchboard.open(url, clock=FixedClock(T0), ids=SeededIds(11), sentiment=_mood) as b:
        yield b


def _mood(text: str) -> float | None:
    return -0.9 if "furious" in text else None


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def inbound(
    body: str = "Where is order A-9?", minutes: float = 0, channel: str = "chat", **kw: object
) -> Inbound:
    return Inbound(
        channel=channel, identity="email:ines@example.es", name="Inés", body=body, at=at(minutes), **kw
    )  # type: ignore[arg-type]


def test_priority_is_normal_until_a_verb_or_a_rule_changes_it(board: Switchboard) -> None:
    first = board.receive(inbound())
    assert first.journey.priority == "normal"
    journey_id = first.journey.id
    out = board.prioritize(journey_id, "low", by="alice", at=at(1))
    assert out.journey.priority == "low" and board.journey(journey_id).priority == "low"
    assert out.interaction.kind == "event" and out.interaction.metadata == {
        "priority": "low",
        "was": "normal",
    }
    angry = board.receive(inbound("I am furious, nobody answers", 5))
    assert angry.journey.priority == "high"  # negative sentiment raises it
    assert any(v.rule == "raise_priority" and v.matched for v in angry.trace)
    calm = board.receive(inbound("ok", 6, priority="urgent"))
    assert calm.journey.priority == "urgent"
    assert board.receive(inbound("furious again", 7)).journey.priority == "urgent"  # never lowered by a raise
    moved = board.transfer(
        journey_id, to_channel="email", reason="escalation", by="alice", priority="normal", at=at(8)
    )
    assert moved.journey.priority == "normal"


def test_a_repeat_contact_raises_priority(board: Switchboard) -> None:
    journey_id = board.receive(inbound()).journey.id
    board.reply(journey_id, agent="alice", body="Delivered today", at=at(1))
    board.resolve(journey_id, by="alice", at=at(2))
    again = board.receive(inbound("It did not arrive after all", 60 * 24))
    assert again.journey.id == journey_id and again.journey.reopen_count == 1
    assert again.journey.priority == "high"


def test_bad_priorities_are_refused_naming_the_field_and_change_nothing(board: Switchboard) -> None:
    journey_id = board.receive(inbound()).journey.id
    for call in (
        lambda: board.prioritize(journey_id, "asap"),  # type: ignore[arg-type]
        lambda: board.receive(inbound("x", 1), priority="p1"),  # type: ignore[arg-type]
        lambda: board.transfer(journey_id, to_channel="phone", reason="escalation", by="a", priority=3),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError) as raised:
            call()
        assert raised.value.field == "priority"
    with pytest.raises(ValidationError) as raised:
        inbound(priority="HIGH")
    assert raised.value.field == "priority"
    assert board.journey(journey_id).priority == "normal" and board.journey(journey_id).version == 1


def test_every_handoff_gets_a_route_and_keeps_its_queue(board: Switchboard) -> None:
    first = board.receive(inbound())
    board.update_contact(first.contact.id, language="es")
    board.link(first.contact.id, "phone:+34600000000")
    moved = board.receive(inbound("Seguimos por email", 3, channel="email"))
    (route,) = [s for s in moved.suggestions if s.kind == "route"]
    assert (route.queue, route.skills, route.rule) == ("email", ("lang:es",), "route")
    assert route.reason == "the queue of the channel it goes to"
    assert moved.handoff is not None and moved.handoff.queue == "email"

    board.prioritize(first.journey.id, "urgent", at=at(4))
    call = board.transfer(first.journey.id, to_channel="phone", reason="escalation", by="alice", at=at(5))
    (route,) = [s for s in call.suggestions if s.kind == "route"]
    assert route.queue == "phone" and route.skills == ("lang:es", "urgent_priority")
    assert route.reason.endswith("; a high or urgent journey needs agents on priority work")
    assert [h.queue for h in board.handoffs(first.journey.id)] == ["email", "phone"]
    explained = board.explain(call.notifications[0].id)
    assert any(s.kind == "route" and s.queue == "phone" for s in explained.suggestions)
    assert "! route to queue phone, skills lang:es, urgent_priority [route]" in explained.render()


def test_high_priority_and_repeat_contacts_ask_for_skills() -> None:
    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(2)) as board:
        journey_id = board.receive(inbound(), priority="high").journey.id
        out = board.transfer(journey_id, to_channel="email", reason="capacity", by="bot-1", at=at(1))
        (route,) = [s for s in out.suggestions if s.kind == "route"]
        assert (route.queue, route.skills) == ("email", ("high_priority",))
        board.reply(journey_id, agent="alice", body="Done", at=at(2))
        board.resolve(journey_id, by="alice", at=at(3))
        back = board.receive(inbound("It broke again", 4, channel="chat"))
        (route,) = [s for s in back.suggestions if s.kind == "route"]
        assert (route.queue, route.skills) == ("chat", ("high_priority", "returning_customer"))


def test_a_policy_routes_and_prioritizes_its_own_way() -> None:
    team = Policy.from_toml(
        """
extends = "default"
drop = ["route", "raise_priority"]

[[rules]]
name = "vip"
on = ["inbound"]
when = { fact = "event.channel", op = "eq", value = "whatsapp" }
actions = [{ do = "prioritize", set = "urgent" }]

[[rules]]
name = "tier2"
on = ["transfer_requested"]

[[rules.actions]]
do = "route"
queue = "tier2-{channel}"
skills = ["billing", "lang:{language}"]
reason = "billing team"
"""
    )
    assert Policy.from_dict(team.to_dict()) == team
    with Switchboard.open("memory://", policy=team, clock=FixedClock(T0), ids=SeededIds(3)) as board:
        out = board.receive(Inbound(channel="whatsapp", identity="phone:+14155550100", body="Hi", at=T0))
        assert out.journey.priority == "urgent"
        moved = board.transfer(out.journey.id, to_channel="email", reason="escalation", by="alice", at=at(1))
        (route,) = moved.suggestions
        assert (route.queue, route.skills, route.rule) == ("tier2-email", ("billing",), "tier2")


@pytest.mark.parametrize(
    ("action", "path", "words"),
    [
        ({"do": "prioritize", "set": "top"}, "rules[0].actions[0].set", "expected one of low"),
        ({"do": "prioritize", "set": "low", "at_least": "high"}, "rules[0].actions[0]", "exactly one"),
        ({"do": "prioritize"}, "rules[0].actions[0]", "exactly one"),
        ({"do": "route", "reason": "x"}, "rules[0].actions[0]", "sets a queue, skills or both"),
        ({"do": "route", "queue": "Tier 2", "reason": "x"}, "rules[0].actions[0].queue", "lower-case"),
        ({"do": "route", "queue": "{team}", "reason": "x"}, "rules[0].actions[0].queue", "lower-case"),
        ({"do": "route", "skills": ["ok", 3], "reason": "x"}, "rules[0].actions[0].skills[1]", "skill"),
        ({"do": "route", "queue": "a", "reason": ""}, "rules[0].actions[0].reason", "saying why"),
        ({"do": "suggest", "kind": "route", "reason": "x"}, "rules[0].actions[0].kind", "route action"),
    ],
)
def test_bad_actions_are_refused_with_their_path(action: dict[str, object], path: str, words: str) -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_dict({"rules": [{"name": "r", "on": ["inbound"], "actions": [action]}]})
    assert any(where == path and words in why for where, why in raised.value.problems), raised.value.problems


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"sla_targets": {"vip": {"first_response": "1h"}}}, "settings.sla_targets.vip"),
        ({"sla_targets": {"high": {"first_response": "soon"}}}, "settings.sla_targets.high.first_response"),
        ({"sla_targets": {"high": {"first_reply": "1h"}}}, "settings.sla_targets.high.first_reply"),
        ({"sla_targets": {"high": "1h"}}, "settings.sla_targets.high"),
        ({"sla_targets": ["1h"]}, "settings.sla_targets"),
        ({"sla_warning_at": 1.5}, "settings.sla_warning_at"),
        ({"sla_warning_at": True}, "settings.sla_warning_at"),
        ({"sla_timezone": "Mars/Olympus"}, "settings.sla_timezone"),
    ],
)
def test_bad_sla_settings_are_refused_with_their_path(settings: dict[str, object], path: str) -> None:
    with pytest.raises(PolicyError) as raised:
        Policy.from_dict({"extends": "default", "settings": settings})
    assert path in [where for where, _ in raised.value.problems], raised.value.problems


def test_sla_settings_round_trip_and_merge_over_the_defaults() -> None:
    policy = Policy.from_dict(
        {
            "extends": "default",
            "settings": {
                "sla_targets": {"urgent": {"first_response": "5m", "resolution": False}},
                "sla_warning_at": 0.5,
                "sla_timezone": "Europe/Madrid",
            },
        }
    )
    targets = {(t.priority, t.target): t.within for t in policy.settings.sla_targets}
    assert targets[("urgent", "first_response")] == timedelta(minutes=5)
    assert ("urgent", "resolution") not in targets
    assert targets[("normal", "first_response")] == timedelta(hours=1)
    assert Policy.from_dict(policy.to_dict()) == policy
    assert policy.revision != Policy.default().revision


def test_records_written_before_priorities_queues_and_audiences_read_as_defaults() -> None:
    with Switchboard.open("memory://", clock=FixedClock(T0), ids=SeededIds(5)) as board:
        first = board.receive(inbound())
        moved = board.transfer(
            first.journey.id, to_channel="phone", reason="escalation", by="alice", at=at(1)
        )
        old_journey = to_dict(moved.journey)
        for key in ("priority", "awaiting_since"):
            old_journey.pop(key)
        assert from_dict(Journey, old_journey).priority == "normal"
        assert moved.handoff is not None
        old_handoff = to_dict(moved.handoff)
        old_handoff.pop("queue")
        assert from_dict(Handoff, old_handoff).queue is None
        old_note = to_dict(moved.notifications[0])
        old_note.pop("audience")
        assert from_dict(Notification, old_note).audience == "customer"
        old_route = to_dict(moved.suggestions[-1])
        old_route.pop("queue"), old_route.pop("skills")
        assert from_dict(Suggestion, old_route) == Suggestion("route", None, old_route["reason"], "route")
