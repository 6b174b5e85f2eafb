"""Random interleavings of receive/reply/transfer/resolve against a simple model of journeys.

Whatever the order, every interaction lands in exactly one journey, versions grow by
exactly one per event, redelivered messages are never stored twice, and a customer's
message joins their open (or recently resolved) journey.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from handoff import FixedClock, Inbound, SeededIds, Switchboard, ValidationError

PEOPLE = {
    "ana": ("phone:+14155550101", ("sms", "whatsapp", "chat", "phone")),
    "ben": ("twitter:@ben_t", ("twitter", "twitter_dm")),
    "cho": ("email:cho@example.com", ("email", "chat", "portal")),
}
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)


class JourneyModel(RuleBasedStateMachine):
    backend = "memory"

    def __init__(self) -> None:
        super().__init__()
        self._tmp = TemporaryDirectory()
        url = "memory://" if self.backend == "memory" else f"sqlite:///{Path(self._tmp.name) / 'm.db'}"
        self.clock = FixedClock(T0)
        self.board = Switchboard.open(url, clock=self.clock, ids=SeededIds(11))
        self.count: dict[str, int] = {}  # journey id -> interactions
        self.active: dict[str, str | None] = dict.fromkeys(PEOPLE)  # person -> open journey id
        self.resolved_at: dict[str, tuple[str, datetime]] = {}  # person -> last resolved journey
        self.owner: dict[str, str] = {}  # journey id -> person
        self.delivered: dict[tuple[str, str], str] = {}  # (channel, external id) -> journey id
        self.next_id = 0

    def teardown(self) -> None:
        self.board.close()
        self._tmp.cleanup()

    def _tick(self) -> datetime:
        return self.clock.advance(minutes=1)

    def _expected_journey(self, person: str, now: datetime) -> str | None:
        if self.active[person] is not None:
            return self.active[person]
        last = self.resolved_at.get(person)
        if last is not None and now - last[1] <= self.board.policy.settings.reopen_window:
            return last[0]
        return None

    @rule(person=st.sampled_from(sorted(PEOPLE)), pick=st.integers(0, 3), redeliver=st.booleans())
    def receive(self, person: str, pick: int, redeliver: bool) -> None:
        identity, reach = PEOPLE[person]
        channel = reach[pick % len(reach)]
        now = self._tick()
        earlier = [key for key, j in self.delivered.items() if key[0] == channel and self.owner[j] == person]
        if redeliver and earlier:
            channel, external_id = earlier[0]
        else:
            self.next_id += 1
            external_id = f"m{self.next_id}"
        out = self.board.receive(
            Inbound(
                channel=channel, identity=identity, body="order A-1 please", at=now, external_id=external_id
            )
        )
        key = (channel, external_id)
        if key in self.delivered:
            assert out.duplicate
            assert out.journey.id == self.delivered[key]
            return
        assert not out.duplicate
        expected = self._expected_journey(person, now)
        if expected is not None:
            assert out.journey.id == expected
        else:
            assert out.journey.id not in self.count
        jid = out.journey.id
        self.delivered[key] = jid
        self.owner[jid] = person
        self.count[jid] = self.count.get(jid, 0) + 1
        self.active[person] = jid
        self.resolved_at.pop(person, None)
        assert out.journey.version == self.count[jid]
        assert out.interaction.sequence == self.count[jid]

    @precondition(lambda self: bool(self.count))
    @rule(data=st.data())
    def reply(self, data: st.DataObject) -> None:
        jid = data.draw(st.sampled_from(sorted(self.count)))
        out = self.board.reply(jid, agent="alice", body="looking", at=self._tick())
        self.count[jid] += 1
        assert out.journey.version == self.count[jid]

    @precondition(lambda self: bool(self.count))
    @rule(data=st.data(), to=st.sampled_from(["phone", "chat", "email", "sms"]))
    def transfer(self, data: st.DataObject, to: str) -> None:
        jid = data.draw(st.sampled_from(sorted(self.count)))
        is_active = self.active[self.owner[jid]] == jid
        if not is_active:
            with pytest.raises(ValidationError):
                self.board.transfer(jid, to_channel=to, reason="escalation", by="alice", at=self._tick())
            return
        out = self.board.transfer(
            jid, to_channel=to, reason="escalation", by="alice", to_agent="bob", at=self._tick()
        )
        self.count[jid] += 1
        assert out.handoff is not None
        assert out.journey.version == self.count[jid]
        assert out.journey.current_channel == to

    @precondition(lambda self: bool(self.count))
    @rule(data=st.data())
    def resolve(self, data: st.DataObject) -> None:
        jid = data.draw(st.sampled_from(sorted(self.count)))
        person = self.owner[jid]
        if self.active[person] != jid:
            with pytest.raises(ValidationError):
                self.board.resolve(jid, by="alice", at=self._tick())
            return
        now = self._tick()
        self.board.resolve(jid, by="alice", at=now)
        self.count[jid] += 1
        self.active[person] = None
        self.resolved_at[person] = (jid, now)

    @rule()
    def ten_days_pass(self) -> None:
        self.clock.advance(days=10)

    @invariant()
    def every_interaction_in_exactly_one_journey(self) -> None:
        seen: set[str] = set()
        for jid, n in self.count.items():
            history = self.board.history(jid)
            assert [i.sequence for i in sorted(history, key=lambda i: i.sequence)] == list(range(1, n + 1))
            assert self.board.journey(jid).version == n
            ids = {i.id for i in history}
            assert not ids & seen
            seen |= ids
        stored = {
            (i.channel, i.external_id) for jid in self.count for i in self.board.history(jid) if i.external_id
        }
        assert stored == set(self.delivered)

    @invariant()
    def one_contact_per_person(self) -> None:
        for person, (identity, _reach) in PEOPLE.items():
            contact = self.board.find_contact(identity)
            journeys = {j for j, p in self.owner.items() if p == person}
            if journeys:
                assert contact is not None
                assert {j.id for j in self.board.journeys(contact.id)} == journeys


class SQLiteJourneyModel(JourneyModel):
    backend = "sqlite"


TestMemorySwitchboard = JourneyModel.TestCase
TestMemorySwitchboard.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestSQLiteSwitchboard = SQLiteJourneyModel.TestCase
TestSQLiteSwitchboard.settings = settings(max_examples=15, stateful_step_count=25, deadline=None)
