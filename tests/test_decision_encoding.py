"""A decision's parts are encoded by flat functions: exactly what cattrs alone gives.

Every event that plans or advises something writes its decision to the log, so its parts
(event, verdicts, planned notifications, summary spec, suggestions) are encoded without
the converter's dispatch; the log must not change by a character for it.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from handoff import serde
from handoff.events import Suggestion, Verdict
from handoff.policy import Decision, Policy
from handoff.policy.situation import EVENT_KINDS, Event, PlannedNotification
from handoff.summary import SECTIONS, SummarySpec
from tests import strategies as s
from tests.test_policy_handwritten import BENCH

REFERENCE = serde._reference()
maybe_text = st.none() | s.texts

verdicts = st.builds(Verdict, s.slugs, st.booleans(), s.texts)
suggestions = st.builds(
    Suggestion,
    st.sampled_from(["move_private", "offer_callback", "escalate", "route"]),
    st.none() | s.channels,
    s.texts,
    s.slugs,
    maybe_text,
    st.lists(s.slugs, max_size=3).map(tuple),
)
events = st.builds(
    Event,
    st.sampled_from(EVENT_KINDS),
    s.aware,
    s.channels,
    from_channel=st.none() | s.channels,
    to_channel=st.none() | s.channels,
    initiated_by=st.sampled_from([None, "customer", "agent", "bot", "system"]),
    reason=maybe_text,
    agent=maybe_text,
    to_agent=maybe_text,
    sensitive=st.lists(st.sampled_from(["card number", "health", "legal"]), max_size=2).map(tuple),
    to_role=maybe_text,
    callback_at=st.none() | s.aware,
    next_slot=st.none() | s.aware,
)
planned = st.builds(
    PlannedNotification, s.slugs, s.channels, s.identities, s.texts, s.aware, s.slugs, s.texts, maybe_text
)
specs = st.builds(
    SummarySpec,
    st.lists(st.sampled_from(SECTIONS), unique=True).map(tuple),
    st.integers(0, 50),
    st.none() | st.integers(1, 5000),
    st.sampled_from([None, "masked", "none"]),
    st.none() | s.slugs,
)


@given(st.one_of(verdicts, suggestions, events, planned, specs))
def test_a_decision_part_encodes_as_cattrs_alone_does(part: object) -> None:
    flat = serde.to_dict(part)
    assert flat == REFERENCE.unstructure(part)
    assert json.dumps(flat) == json.dumps(REFERENCE.unstructure(part))
    assert serde.to_json(part) == serde._COMPACT.encode(REFERENCE.unstructure(part))


def test_the_decision_parts_are_flat() -> None:
    for cls in (Event, Verdict, PlannedNotification, SummarySpec, Suggestion):
        assert serde._converter.get_unstructure_hook(cls).__name__ == f"unstructure_{cls.__name__}"


def test_a_logged_decision_reads_back_as_it_was_logged() -> None:
    policy = Policy.default()
    for situation in BENCH._situations().values():
        logged = json.loads(json.dumps(policy.decide(situation).to_dict()))
        assert Decision.from_dict(logged).to_dict() == logged
