"""The stored records of ``handoff``: frozen attrs value objects, pure data.

They know nothing of storage, policy or presentation. Derived journey state is advanced
by :mod:`handoff.flow.append`; summaries are built by :mod:`handoff.summary`. Records are
drawn by :mod:`handoff.show`, which they reach through one hook,
:func:`handoff._drawing.draw`, without importing it: ``render``, ``_repr_html_``
(notebooks) and ``__rich__`` (``rich``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from attrs import define, field, validators

from handoff import _drawing
from handoff import _validate as v
from handoff._drawing import RenderFormat
from handoff.identity import Identity
from handoff.serde import flatten, to_dict

__all__ = [
    "AUDIENCES",
    "AUTHORS",
    "CALLBACK_STATUSES",
    "INITIATORS",
    "INTERACTION_KINDS",
    "JOURNEY_STATUSES",
    "LINK_SOURCES",
    "NOTIFICATION_STATUSES",
    "PRIORITIES",
    "Audience",
    "Author",
    "Callback",
    "CallbackStatus",
    "Contact",
    "ContactCard",
    "ContextSummary",
    "DecisionRecord",
    "Fact",
    "Handoff",
    "IdentityLink",
    "Initiator",
    "Interaction",
    "InteractionKind",
    "Journey",
    "JourneyStatus",
    "LinkSource",
    "Notification",
    "NotificationStatus",
    "PathStep",
    "Priority",
    "SummaryLine",
]

Author = Literal["customer", "agent", "bot", "system"]
AUTHORS: tuple[Author, ...] = ("customer", "agent", "bot", "system")
InteractionKind = Literal["message", "note", "call", "event", "survey"]
INTERACTION_KINDS: tuple[InteractionKind, ...] = ("message", "note", "call", "event", "survey")
JourneyStatus = Literal["open", "pending", "resolved", "closed"]
JOURNEY_STATUSES: tuple[JourneyStatus, ...] = ("open", "pending", "resolved", "closed")
Initiator = Literal["customer", "agent", "bot", "system"]
INITIATORS: tuple[Initiator, ...] = AUTHORS
LinkSource = Literal["first_contact", "journey_ref", "thread", "agent", "import"]
LINK_SOURCES: tuple[LinkSource, ...] = ("first_contact", "journey_ref", "thread", "agent", "import")
NotificationStatus = Literal["pending", "sent", "delivered", "read", "failed", "cancelled"]
NOTIFICATION_STATUSES: tuple[NotificationStatus, ...] = (
    "pending",
    "sent",
    "delivered",
    "read",
    "failed",
    "cancelled",
)
CallbackStatus = Literal["scheduled", "done", "missed", "cancelled"]
CALLBACK_STATUSES: tuple[CallbackStatus, ...] = ("scheduled", "done", "missed", "cancelled")
Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")
"""Journey priorities, lowest first: each has its own SLA targets in the policy."""
Audience = Literal["customer", "team"]
AUDIENCES: tuple[Audience, ...] = ("customer", "team")
"""Who a notification is for: the customer, or the support team (SLA alerts)."""
Redaction = Literal["none", "masked"]
REDACTIONS: tuple[Redaction, ...] = ("none", "masked")


@define(frozen=True)
class Fact:
    """Something the customer already told us: an order number, an email, an amount...

    ``value`` is the normalized form used to recognise a restatement; ``text`` is how
    it was written (card numbers are already masked in both).
    """

    kind: str = field(validator=v.slug)
    value: str = field(validator=v.text(allow_empty=False))
    text: str = field(validator=v.text(allow_empty=False))
    channel: str = field(validator=v.slug)
    at: datetime = field(validator=v.aware)
    interaction_id: str = field(validator=v.text(allow_empty=False))

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.value)


@define(frozen=True)
class PathStep:
    """One stop on a journey's channel path."""

    channel: str = field(validator=v.slug)
    at: datetime = field(validator=v.aware)


@define(frozen=True)
class IdentityLink:
    """An identity of a contact, and how sure we are that it is theirs.

    ``confirmed`` is true for the identity the contact first wrote from and for links an
    agent confirmed; a link made only because someone quoted a journey reference is not.
    """

    identity: Identity = field(validator=validators.instance_of(Identity))
    confirmed: bool = field(validator=v.boolean)
    source: LinkSource = field(validator=v.one_of(LINK_SOURCES))
    linked_at: datetime = field(validator=v.aware)


@define(frozen=True)
class Contact:
    """One person, however many identities and channels they use."""

    id: str = field(validator=v.text(allow_empty=False))
    name: str | None = field(validator=v.optional_text(max_len=200))
    links: tuple[IdentityLink, ...] = field(validator=v.tuple_of(IdentityLink))
    created_at: datetime = field(validator=v.aware)
    version: int = field(default=1, validator=v.non_negative_int)
    timezone: str = field(default="UTC", validator=v.text(allow_empty=False))
    language: str | None = field(default=None, validator=v.optional_text(max_len=35))
    preferred_channels: tuple[str, ...] = field(default=(), validator=v.tuple_of(str))
    consent: dict[str, bool] = field(factory=dict, hash=False)
    quiet_hours: tuple[str, str] | None = ("21:00", "08:00")

    @property
    def identities(self) -> tuple[Identity, ...]:
        return tuple(link.identity for link in self.links)

    def link_for(self, identity: Identity) -> IdentityLink | None:
        for link in self.links:
            if link.identity == identity:
                return link
        return None

    def _repr_html_(self) -> str:
        return _drawing.draw(self, "html")

    def __rich__(self) -> str:
        return _drawing.draw(self, "rich")


@define(frozen=True)
class Interaction:
    """One thing that happened on a channel. Immutable once stored.

    ``sequence`` is its 1-based position in the journey, equal to the journey's
    version right after it was appended.
    """

    id: str = field(validator=v.text(allow_empty=False))
    journey_id: str = field(validator=v.text(allow_empty=False))
    contact_id: str = field(validator=v.text(allow_empty=False))
    channel: str = field(validator=v.slug)
    author: Author = field(validator=v.one_of(AUTHORS))
    body: str = field(validator=v.text())
    at: datetime = field(validator=v.aware)
    sequence: int = field(validator=v.non_negative_int)
    kind: InteractionKind = field(default="message", validator=v.one_of(INTERACTION_KINDS))
    external_id: str | None = field(default=None, validator=v.optional_text(max_len=1000))
    agent: str | None = field(default=None, validator=v.optional_text(max_len=200))
    identity: Identity | None = None
    thread_refs: tuple[str, ...] = field(default=(), validator=v.tuple_of(str))
    metadata: dict[str, str] = field(factory=dict, hash=False, validator=v.str_mapping)
    sensitive: bool = field(default=False, validator=v.boolean)


@define(frozen=True)
class Journey:
    """One customer issue across every channel: the hybrid ticket.

    Besides its identity and status it carries derived state (channel path, last
    activity per channel and side, first response, fact index) so that the hot path
    never reads the whole history.
    """

    id: str = field(validator=v.text(allow_empty=False))
    reference: str = field(validator=v.text(allow_empty=False))
    contact_id: str = field(validator=v.text(allow_empty=False))
    status: JourneyStatus = field(validator=v.one_of(JOURNEY_STATUSES))
    current_channel: str = field(validator=v.slug)
    opened_at: datetime = field(validator=v.aware)
    updated_at: datetime = field(validator=v.aware)
    version: int = field(default=0, validator=v.non_negative_int)
    subject: str = ""
    path: tuple[PathStep, ...] = ()
    last_customer_at: dict[str, datetime] = field(factory=dict, hash=False, validator=v.aware_mapping)
    last_agent_at: dict[str, datetime] = field(factory=dict, hash=False, validator=v.aware_mapping)
    last_customer_channel: str | None = None
    first_response_at: datetime | None = field(default=None, validator=v.optional_aware)
    resolved_at: datetime | None = field(default=None, validator=v.optional_aware)
    resolved_by: str | None = None
    reopen_count: int = 0
    unresolved_messages: int = 0
    handoff_count: int = 0
    assignee: str | None = None
    responder: Literal["bot", "agent"] | None = None
    facts: tuple[Fact, ...] = ()
    notes: tuple[SummaryLine, ...] = ()
    commitments: tuple[str, ...] = ()
    surveyed: bool = False
    asked: str | None = None
    """The kind of fact the agent's last message asked for ("What's your order number?":
    ``order``), until the customer replies: a bare reply is then a fact of that kind."""
    priority: Priority = field(default="normal", validator=v.one_of(PRIORITIES))
    """How urgent the journey is; it picks the policy's SLA targets (records written
    before priorities existed read as ``normal``)."""
    awaiting_since: datetime | None = field(default=None, validator=v.optional_aware)
    """The customer's first message that no agent has answered yet (the start of the
    next-response SLA clock); ``None`` when the agent spoke last."""

    @property
    def is_active(self) -> bool:
        return self.status in ("open", "pending")

    @property
    def channels(self) -> tuple[str, ...]:
        """The channel path as names, e.g. ``('twitter', 'twitter_dm', 'chat', 'phone')``."""
        return tuple(step.channel for step in self.path)

    def _repr_html_(self) -> str:
        return _drawing.draw(self, "html")

    def __rich__(self) -> str:
        return _drawing.draw(self, "rich")


@define(frozen=True)
class SummaryLine:
    """A message or note as shown in a summary: who said what, where and when."""

    at: datetime = field(validator=v.aware)
    channel: str
    author: str
    text: str
    agent: str | None = None


@define(frozen=True)
class CardIdentity:
    identity: str
    confirmed: bool
    source: str


@define(frozen=True)
class ContactCard:
    """Who the receiving agent is talking to, and which identities are confirmed."""

    contact_id: str
    name: str | None
    identities: tuple[CardIdentity, ...]
    timezone: str
    language: str | None
    local_time: datetime | None = None


@define(frozen=True)
class ContextSummary:
    """What the receiving side is told so the customer never repeats themselves.

    Pure data: build it with :func:`handoff.summary.build_summary`, draw it with
    :meth:`render`. ``redaction`` says what was masked for the receiving channel or role;
    ``max_chars`` is the receiving agent's screen, not the customer channel's length.
    """

    journey_id: str
    reference: str
    for_channel: str
    generated_at: datetime = field(validator=v.aware)
    contact: ContactCard
    issue: str
    status: str
    opened_at: datetime
    transition: str | None = None
    facts: tuple[Fact, ...] = ()
    path: tuple[PathStep, ...] = ()
    notes: tuple[SummaryLine, ...] = ()
    recent: tuple[SummaryLine, ...] = ()
    commitments: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    redaction: Redaction = "none"
    max_chars: int | None = None
    rule: str | None = None
    opening: tuple[str, ...] = ()
    """For a voice agent: what to say first, one sentence a line."""

    @property
    def since_first_contact(self) -> timedelta:
        return self.generated_at - self.opened_at

    def render(self, fmt: RenderFormat = "text", max_chars: int | None = None) -> str:
        """Draw the summary; with ``max_chars`` the result never exceeds it.

        When the budget is tight the least important sections go first (recent
        messages, then notes, path, commitments...), the header and issue last.
        """
        return _drawing.render(self, fmt, self.max_chars if max_chars is None else max_chars)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_dict(self)
        return data

    def _repr_html_(self) -> str:
        return _drawing.draw(self, "html")

    def __rich__(self) -> str:
        return _drawing.draw(self, "rich")

    def __str__(self) -> str:
        return self.render("text")


@define(frozen=True)
class Handoff:
    """A channel switch (or an agent-to-agent transfer) inside a journey."""

    id: str
    journey_id: str
    interaction_id: str
    from_channel: str = field(validator=v.slug)
    to_channel: str = field(validator=v.slug)
    initiated_by: Initiator = field(validator=v.one_of(INITIATORS))
    reason: str = field(validator=v.slug)
    at: datetime = field(validator=v.aware)
    summary: ContextSummary
    from_agent: str | None = None
    to_agent: str | None = None
    warm: bool = False
    queue: str | None = None
    """The queue the policy's ``route`` suggestion named for the receiving side, if any."""

    def _repr_html_(self) -> str:
        return _drawing.draw(self, "html")

    def __rich__(self) -> str:
        return _drawing.draw(self, "rich")


@define(frozen=True)
class Notification:
    """A message the host application should send: to the customer, or to the team.

    ``handoff`` never sends anything: notifications wait in the outbox until the host
    drains them (``outbox.due(now)``) and acknowledges them (``outbox.ack(id)``).
    ``audience`` is ``customer`` for what the customer is sent and ``team`` for SLA
    alerts, which the host routes to its own people (chat, e-mail, a dashboard) and
    never to the customer; a team notification has no ``to``.
    """

    id: str
    journey_id: str
    contact_id: str
    channel: str = field(validator=v.slug)
    body: str = field(validator=v.text())
    purpose: str = field(validator=v.slug)
    send_at: datetime = field(validator=v.aware)
    created_at: datetime = field(validator=v.aware)
    rule: str = field(validator=v.text(allow_empty=False))
    reason: str = field(validator=v.text())
    to: Identity | None = None
    template: str | None = None
    status: NotificationStatus = field(default="pending", validator=v.one_of(NOTIFICATION_STATUSES))
    sent_at: datetime | None = field(default=None, validator=v.optional_aware)
    decision_id: str | None = None
    provider_id: str | None = field(default=None, validator=v.optional_text(max_len=1000))
    audience: Audience = field(default="customer", validator=v.one_of(AUDIENCES))

    def _repr_html_(self) -> str:
        return _drawing.draw(self, "html")

    def __rich__(self) -> str:
        return _drawing.draw(self, "rich")


@define(frozen=True)
class Callback:
    """A phone call booked with the customer at a time that suits them (no phone tag).

    ``number`` is the contact's E.164 phone number the agent dials; ``at`` the slot;
    ``agent`` who will call (None: the next available agent). ``status`` moves once,
    from ``scheduled`` to ``done`` (the customer was reached), ``missed`` (not reached,
    or never recorded within the policy's grace period) or ``cancelled``; ``closed_at``
    is when it did. ``reminder_id`` is the pending reminder notification, cancelled with
    the callback when it closes before it is sent.
    """

    id: str = field(validator=v.text(allow_empty=False))
    journey_id: str = field(validator=v.text(allow_empty=False))
    contact_id: str = field(validator=v.text(allow_empty=False))
    at: datetime = field(validator=v.aware)
    number: str = field(validator=v.text(allow_empty=False))
    created_at: datetime = field(validator=v.aware)
    channel: str = field(default="phone", validator=v.slug)
    agent: str | None = field(default=None, validator=v.optional_text(max_len=200))
    status: CallbackStatus = field(default="scheduled", validator=v.one_of(CALLBACK_STATUSES))
    closed_at: datetime | None = field(default=None, validator=v.optional_aware)
    reminder_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "scheduled"


@define(frozen=True)
class DecisionRecord:
    """A policy decision as the decision log keeps it: ``data`` is ``Decision.to_dict()``.

    Stores keep it opaque (they know nothing of policies); ``Switchboard.explain`` reads
    it back into a :class:`~handoff.policy.Decision`.
    """

    id: str = field(validator=v.text(allow_empty=False))
    journey_id: str = field(validator=v.text(allow_empty=False))
    contact_id: str = field(validator=v.text(allow_empty=False))
    at: datetime = field(validator=v.aware)
    data: dict[str, Any] = field(factory=dict, hash=False)


# Records written on every event are encoded by flat generated functions (handoff.serde).
flatten(
    PathStep,
    Fact,
    SummaryLine,
    IdentityLink,
    Contact,
    Interaction,
    Journey,
    Notification,
    Handoff,
    DecisionRecord,
)
