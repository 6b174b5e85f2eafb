"""Hypothesis strategies for every model, shared by the serialization and store tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from handoff.identity import Identity, parse_identity
from handoff.models import (
    CALLBACK_STATUSES,
    Callback,
    CardIdentity,
    Contact,
    ContactCard,
    ContextSummary,
    Fact,
    Handoff,
    IdentityLink,
    Interaction,
    Journey,
    Notification,
    PathStep,
    SummaryLine,
)

CHANNELS = (
    "email",
    "chat",
    "phone",
    "sms",
    "whatsapp",
    "messenger",
    "instagram",
    "twitter",
    "twitter_dm",
    "portal",
)

zones = st.sampled_from(
    [timezone.utc, timezone(timedelta(hours=-5)), ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/Berlin")]
)
aware = st.builds(
    lambda dt, tz: dt.replace(tzinfo=timezone.utc).astimezone(tz),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    zones,
)
# JSON round trips keep the offset but not the zone name; compare instants with fixed offsets.
aware_fixed = st.builds(
    lambda dt, minutes: dt.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([0, -300, 60, 330, 540]),
).map(lambda d: d if d.utcoffset() else d.astimezone(timezone.utc))

ids = st.from_regex(r"[a-z]{2}_[0-9a-f]{8}", fullmatch=True)
slugs = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
texts = st.text(max_size=60)
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")
channels = st.sampled_from(CHANNELS)

identities = st.one_of(
    st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|org|io)", fullmatch=True).map(
        lambda e: parse_identity("email:" + e)
    ),
    st.integers(2_000_000, 9_999_999).map(lambda n: parse_identity(f"phone:+1415{n}")),
    st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True).map(lambda h: parse_identity("twitter:@" + h)),
    st.from_regex(r"[0-9]{6,16}", fullmatch=True).map(lambda n: Identity("messenger", n)),
)

facts = st.builds(
    Fact, kind=slugs, value=words, text=words, channel=channels, at=aware_fixed, interaction_id=ids
)
path_steps = st.builds(PathStep, channel=channels, at=aware_fixed)
lines = st.builds(
    SummaryLine, at=aware_fixed, channel=channels, author=st.sampled_from(["customer", "agent"]), text=texts
)
links = st.builds(
    IdentityLink,
    identity=identities,
    confirmed=st.booleans(),
    source=st.sampled_from(["first_contact", "journey_ref", "thread", "agent", "import"]),
    linked_at=aware_fixed,
)
contacts = st.builds(
    Contact,
    id=ids,
    name=st.none() | words,
    links=st.lists(links, max_size=3, unique_by=lambda lk: lk.identity).map(tuple),
    created_at=aware_fixed,
    version=st.integers(0, 50),
    timezone=st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York"]),
    language=st.none() | st.sampled_from(["en", "ja", "pt-BR"]),
    preferred_channels=st.lists(channels, max_size=3).map(tuple),
    consent=st.dictionaries(channels, st.booleans(), max_size=3),
    quiet_hours=st.none() | st.just(("21:00", "08:00")),
)
interactions = st.builds(
    Interaction,
    id=ids,
    journey_id=ids,
    contact_id=ids,
    channel=channels,
    author=st.sampled_from(["customer", "agent", "bot", "system"]),
    body=texts,
    at=aware_fixed,
    sequence=st.integers(1, 10_000),
    kind=st.sampled_from(["message", "note", "call", "event", "survey"]),
    external_id=st.none() | words,
    agent=st.none() | words,
    identity=st.none() | identities,
    thread_refs=st.lists(words, max_size=3).map(tuple),
    metadata=st.dictionaries(slugs, texts, max_size=3),
    sensitive=st.booleans(),
)
journeys = st.builds(
    Journey,
    id=ids,
    reference=st.from_regex(r"J-[0-9A-Z]{5}", fullmatch=True),
    contact_id=ids,
    status=st.sampled_from(["open", "pending", "resolved", "closed"]),
    current_channel=channels,
    opened_at=aware_fixed,
    updated_at=aware_fixed,
    version=st.integers(0, 10_000),
    subject=texts,
    path=st.lists(path_steps, max_size=4).map(tuple),
    last_customer_at=st.dictionaries(channels, aware_fixed, max_size=3),
    last_agent_at=st.dictionaries(channels, aware_fixed, max_size=3),
    facts=st.lists(facts, max_size=3).map(tuple),
    notes=st.lists(lines, max_size=2).map(tuple),
    commitments=st.lists(texts, max_size=2).map(tuple),
    surveyed=st.booleans(),
)
cards = st.builds(
    ContactCard,
    contact_id=ids,
    name=st.none() | words,
    identities=st.lists(
        st.builds(CardIdentity, identity=words, confirmed=st.booleans(), source=slugs), max_size=2
    ).map(tuple),
    timezone=st.just("UTC"),
    language=st.none() | st.just("en"),
    local_time=st.none() | aware_fixed,
)
summaries = st.builds(
    ContextSummary,
    journey_id=ids,
    reference=st.from_regex(r"J-[0-9A-Z]{5}", fullmatch=True),
    for_channel=channels,
    generated_at=aware_fixed,
    contact=cards,
    issue=texts,
    status=st.sampled_from(["open", "resolved"]),
    opened_at=aware_fixed,
    transition=st.none() | texts,
    facts=st.lists(facts, max_size=2).map(tuple),
    path=st.lists(path_steps, max_size=3).map(tuple),
    recent=st.lists(lines, max_size=3).map(tuple),
    checklist=st.lists(texts, max_size=3).map(tuple),
)
handoffs = st.builds(
    Handoff,
    id=ids,
    journey_id=ids,
    interaction_id=ids,
    from_channel=channels,
    to_channel=channels,
    initiated_by=st.sampled_from(["customer", "agent", "bot", "system"]),
    reason=slugs,
    at=aware_fixed,
    summary=summaries,
    from_agent=st.none() | words,
    to_agent=st.none() | words,
    warm=st.booleans(),
)
notifications = st.builds(
    Notification,
    id=ids,
    journey_id=ids,
    contact_id=ids,
    channel=channels,
    body=texts,
    purpose=slugs,
    send_at=aware_fixed,
    created_at=aware_fixed,
    rule=words,
    reason=texts,
    to=st.none() | identities,
    template=st.none() | slugs,
    status=st.sampled_from(["pending", "sent", "failed", "cancelled"]),
    sent_at=st.none() | aware_fixed,
)
callbacks = st.builds(
    Callback,
    id=ids,
    journey_id=ids,
    contact_id=ids,
    at=aware_fixed,
    number=st.from_regex(r"\+[1-9][0-9]{7,13}", fullmatch=True),
    created_at=aware_fixed,
    channel=st.sampled_from(["phone", "whatsapp"]),
    agent=st.none() | words,
    status=st.sampled_from(CALLBACK_STATUSES),
    closed_at=st.none() | aware_fixed,
    reminder_id=st.none() | ids,
)
