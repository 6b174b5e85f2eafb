"""A small builder of journeys for the metrics tests, straight from the models.

Times are minutes after the story's start, so each test can work its answers out by hand.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from handoff.errors import HandoffError
from handoff.events import Inbound
from handoff.metrics import JourneyRecords
from handoff.models import ContactCard, ContextSummary, Handoff, Interaction, Journey
from handoff.switchboard import Switchboard

T0 = datetime(2025, 3, 12, 14, 0, tzinfo=timezone.utc)  # a Wednesday


class Story:
    """One journey told event by event; :meth:`records` gives it to the metrics."""

    def __init__(self, channel: str, *, start: datetime = T0, journey_id: str = "jr_1") -> None:
        self.start = start
        self.journey_id = journey_id
        self.channel = channel
        self.items: list[Interaction] = []
        self.handoffs: list[Handoff] = []
        self.resolved_at: datetime | None = None

    def at(self, minutes: float) -> datetime:
        return self.start + timedelta(minutes=minutes)

    def _add(self, minutes: float, author: str, body: str, **kwargs: Any) -> Interaction:
        item = Interaction(
            id=f"ix_{len(self.items) + 1}",
            journey_id=self.journey_id,
            contact_id="ct_1",
            channel=kwargs.pop("channel", None) or self.channel,
            author=author,  # type: ignore[arg-type]
            body=body,
            at=self.at(minutes),
            sequence=len(self.items) + 1,
            **kwargs,
        )
        self.items.append(item)
        return item

    def customer(self, minutes: float, body: str = "hello") -> Story:
        if self.resolved_at is not None:
            self.resolved_at = None
        self._add(minutes, "customer", body)
        return self

    def agent(
        self, minutes: float, body: str = "on it", agent: str = "sam", channel: str | None = None
    ) -> Story:
        self._add(minutes, "agent", body, agent=agent, channel=channel)
        return self

    def bot(self, minutes: float, body: str = "a bot answer") -> Story:
        self._add(minutes, "bot", body, agent="bot")
        return self

    def note(self, minutes: float, body: str = "internal") -> Story:
        self._add(minutes, "agent", body, kind="note", agent="sam")
        return self

    def switch(self, minutes: float, channel: str, body: str = "me again") -> Story:
        """The customer writes on another channel: a customer-initiated handoff."""
        before, self.channel = self.channel, channel
        item = self._add(minutes, "customer", body)
        self._handoff(item, before, channel, "customer", "customer_choice")
        return self

    def transfer(
        self,
        minutes: float,
        channel: str,
        reason: str = "escalation",
        by: str = "sam",
        queue: str | None = None,
    ) -> Story:
        before, self.channel = self.channel, channel
        item = self._add(
            minutes,
            "agent",
            f"Transferred from {before} to {channel} by {by}",
            kind="event",
            agent=by,
            metadata={"transfer": "1", "from_channel": before, "reason": reason},
        )
        self._handoff(item, before, channel, "agent", reason, queue)
        return self

    def resolve(self, minutes: float, by: str = "sam") -> Story:
        item = self._add(minutes, "agent", f"Resolved by {by}", kind="event", agent=by)
        self.resolved_at = item.at
        return self

    def survey(self, minutes: float, **scores: int) -> Story:
        meta = {name: str(value) for name, value in scores.items()}
        self._add(minutes, "customer", "survey", kind="survey", metadata=meta)
        return self

    def _handoff(
        self, item: Interaction, before: str, after: str, by: str, reason: str, queue: str | None = None
    ) -> None:
        card = ContactCard("ct_1", None, (), "UTC", None)
        summary = ContextSummary(
            self.journey_id, "J-AAAAA", after, item.at, card, "issue", "open", self.start
        )
        self.handoffs.append(
            Handoff(
                id=f"ho_{len(self.handoffs) + 1}",
                journey_id=self.journey_id,
                interaction_id=item.id,
                from_channel=before,
                to_channel=after,
                initiated_by=by,  # type: ignore[arg-type]
                reason=reason,
                at=item.at,
                summary=summary,
                queue=queue,
            )
        )

    def journey(self) -> Journey:
        first = self.items[0].channel if self.items else self.channel
        last = self.items[-1].at if self.items else self.start
        return Journey(
            id=self.journey_id,
            reference="J-AAAAA",
            contact_id="ct_1",
            status="resolved" if self.resolved_at is not None else "open",
            current_channel=self.channel if self.items else first,
            opened_at=self.start,
            updated_at=last,
            version=len(self.items),
            resolved_at=self.resolved_at,
        )

    def records(self, next_contact_at: datetime | None = None) -> JourneyRecords:
        return JourneyRecords(self.journey(), tuple(self.items), tuple(self.handoffs), next_contact_at)


# -- random journeys ---------------------------------------------------------------------------

CHANNELS = ["chat", "email", "phone", "sms"]
step = st.one_of(
    st.tuples(st.just("customer"), st.sampled_from(["hi", "order A-1042", "mail ana@example.com"])),
    st.tuples(st.just("agent"), st.sampled_from(["sam", "lee"])),
    st.tuples(st.just("bot"), st.just("")),
    st.tuples(st.just("switch"), st.sampled_from(CHANNELS)),
    st.tuples(st.just("transfer"), st.sampled_from(["escalation", "capacity"])),
    st.tuples(st.just("resolve"), st.just("")),
    st.tuples(st.just("survey"), st.integers(1, 5).map(str)),
)


@st.composite
def journeys(draw: st.DrawFn, n: int) -> JourneyRecords:
    story = Story(
        draw(st.sampled_from(CHANNELS)),
        start=T0 + timedelta(hours=draw(st.integers(0, 24 * 20))),
        journey_id=f"jr_{n}",
    )
    story.customer(0, draw(st.sampled_from(["hi", "order A-1042"])))
    for minute, (kind, arg) in enumerate(draw(st.lists(step, max_size=8)), start=1):
        if kind == "customer":
            story.customer(minute, arg)
        elif kind == "agent":
            story.agent(minute, agent=arg)
        elif kind == "bot":
            story.bot(minute)
        elif kind == "switch" and arg != story.channel:
            story.switch(minute, arg, "order A-1042")
        elif kind == "transfer":
            to = "phone" if story.channel != "phone" else "chat"
            # escalations are routed to a desk; a transfer for capacity is not routed
            story.transfer(minute, to, reason=arg, queue=f"desk-{to}" if arg == "escalation" else None)
        elif kind == "resolve":
            story.resolve(minute)
        elif kind == "survey":
            story.survey(minute, csat=int(arg), nps=int(arg) * 2, ces=int(arg) + 1)
    return story.records()


@st.composite
def periods(draw: st.DrawFn) -> list[JourneyRecords]:
    return [draw(journeys(n)) for n in range(draw(st.integers(0, 12)))]


# -- whole stores, through the Switchboard ------------------------------------------------------

CUSTOMER_WORDS = [
    "hi",
    "order A-1042 is late",
    "my email is ana@example.com",
    "still waiting",
    "call +14155550100",
]


def populate(board: Switchboard, seed: int, journeys: int = 24) -> None:
    """A seeded story of ``journeys`` customers' issues, written through the Switchboard so
    the store holds exactly what the library writes: switches, transfers, bot answers,
    resolutions, reopens, surveys and customers who come back with a new issue."""
    rng = random.Random(seed)
    t = T0
    for n in range(journeys):
        who = rng.randrange(max(1, journeys * 2 // 3))
        channel = rng.choice(["chat", "email", "whatsapp", "twitter"])
        identity = _identity(channel, who)
        t += timedelta(minutes=rng.randint(30, 900))
        out = board.receive(
            Inbound(
                channel=channel, identity=identity, body=rng.choice(CUSTOMER_WORDS), at=t, external_id=f"m{n}"
            )
        )
        jid, ref, now = out.journey.id, out.journey.reference, t
        for step in range(rng.randint(1, 7)):
            now += timedelta(minutes=rng.randint(1, 600))
            roll = rng.random()
            try:
                if roll < 0.3:
                    board.reply(jid, agent=rng.choice(["sam", "lee"]), body="On it", at=now)
                elif roll < 0.45:
                    board.receive(
                        Inbound(
                            channel=channel,
                            identity=identity,
                            body=rng.choice(CUSTOMER_WORDS),
                            at=now,
                            external_id=f"m{n}-{step}",
                        )
                    )
                elif roll < 0.55:
                    moved = rng.choice(["chat", "sms", "email"])
                    board.receive(
                        Inbound(
                            channel=moved,
                            identity=_identity(moved, who),
                            journey_ref=ref,
                            at=now,
                            body=rng.choice(CUSTOMER_WORDS),
                            external_id=f"s{n}-{step}",
                        )
                    )
                elif roll < 0.63:
                    board.transfer(
                        jid,
                        to_channel="phone",
                        reason=rng.choice(["escalation", "capacity"]),
                        by="sam",
                        at=now,
                    )
                elif roll < 0.68:
                    board.reply(jid, agent="helperbot", body="An automatic answer", bot=True, at=now)
                elif roll < 0.85:
                    board.resolve(jid, by=rng.choice(["sam", "lee"]), at=now)
                else:
                    board.rate(
                        jid, csat=rng.randint(1, 5), nps=rng.randint(0, 10), ces=rng.randint(1, 7), at=now
                    )
            except HandoffError:
                continue  # a verb the journey's state refuses; the story goes on


def _identity(channel: str, who: int) -> str:
    if channel in ("whatsapp", "sms", "phone"):
        return f"phone:+1415555{who:04d}"
    if channel == "twitter":
        return f"twitter:@customer{who}"
    return f"email:customer{who}@example.com"
