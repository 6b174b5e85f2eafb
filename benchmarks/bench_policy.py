"""Cost of ``Policy.decide`` for the default policy, against a hand-written equivalent.

Run: ``python benchmarks/bench_policy.py`` (``--quick`` for a smoke run).

Typical events (a customer message, a channel switch, an agent reply to an idle
customer, a transfer to phone, a resolution, an idle customer, a periodic tick) are
decided many times by the default policy and by :func:`handwritten`, a plain Python
function implementing the same rules and using the same delivery checks. Both must
decide the same (``tests/test_policy_handwritten.py`` checks that on generated
situations); the two are timed in turn, so drift in machine speed hits both alike.
The report gives the p50 per event and the ratio (target: p50 <= 50 µs, ratio <= 1.2x).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

from handoff import channels
from handoff.errors import ValidationError
from handoff.events import Suggestion, Verdict
from handoff.identity import parse_identity
from handoff.models import PRIORITIES, Contact, IdentityLink, Interaction, Journey, Priority
from handoff.policy import Decision, Event, Facts, Policy, PolicySettings, Situation
from handoff.policy.actions import private_sibling
from handoff.policy.delivery import Planner
from handoff.policy.durations import format_duration
from handoff.policy.schedule import next_business_slot, spoken_slot, zone
from handoff.policy.situation import NotificationDraft, PlannedNotification
from handoff.policy.templates import DEFAULT_TEMPLATES
from handoff.summary import AGENT_SCREEN_CHARS, SECTIONS, SummarySpec

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)


def handwritten(s: Situation, settings: PolicySettings, revision: str) -> Decision:
    """The default policy's rules, written by hand (plainer trace wording, same outcomes)."""
    facts = Facts(s, settings)
    planner = Planner(facts, DEFAULT_TEMPLATES)
    event, journey, contact = s.event, s.journey, s.contact
    verdicts: list[Verdict] = []
    suggestions: list[Suggestion] = []
    summary: SummarySpec | None = None
    priority: Priority | None = None

    def notify(rule: str, reason: str, draft: NotificationDraft) -> str:
        why_not = planner.plan(draft, rule, reason)
        return reason if why_not is None else f"{reason}; not sent: {why_not}"

    kind = event.kind
    if kind == "inbound":
        profile = channels.get(event.channel)
        sensitive = (
            bool(event.sensitive) or "sensitive" in s.flags or bool(s.interaction and s.interaction.sensitive)
        )
        if sensitive and profile.is_public:
            why = "the customer shared something sensitive in public; continue privately"
            suggestions.append(Suggestion("move_private", private_sibling(event.channel), why, "privacy"))
            draft = NotificationDraft("public_reply", "current", "public_reply", urgent=True)
            verdicts.append(
                Verdict("privacy", True, notify("privacy", "sensitive on a public channel", draft))
            )
        else:
            verdicts.append(Verdict("privacy", False, f"sensitive {sensitive}, public {profile.is_public}"))
        messages, mood = s.customer_messages, s.sentiment
        unhappy = (messages is not None and messages >= settings.escalate_after) or (
            mood is not None and mood <= settings.negative_sentiment
        )
        if not profile.is_async and event.channel != "phone" and unhappy:
            why = f"offer a phone callback at a time that suits the customer; {_slot(s, settings)}"
            suggestions.append(Suggestion("offer_callback", "phone", why, "offer_callback"))
            verdicts.append(Verdict("offer_callback", True, f"{messages} messages, sentiment {mood}"))
        else:
            verdicts.append(Verdict("offer_callback", False, f"{messages} messages, sentiment {mood}"))
        raise_it = journey.reopen_count >= 1 or (mood is not None and mood <= settings.negative_sentiment)
        if raise_it and PRIORITIES.index(journey.priority) < PRIORITIES.index("high"):
            priority = "high"
        verdicts.append(Verdict("raise_priority", raise_it, f"reopened {journey.reopen_count}, mood {mood}"))
    elif kind in ("channel_switched", "transfer_requested"):
        target = channels.get(event.to_channel or event.channel)
        restricted = event.to_role is not None and event.to_role in settings.restricted_roles
        masked = target.is_public or restricted or "restricted_role" in s.flags
        verdicts.append(Verdict("redact_summaries", masked, f"{target.name} public {target.is_public}"))
        bot = kind == "transfer_requested" and event.initiated_by == "bot"
        if kind == "transfer_requested":
            verdicts.append(Verdict("bot_to_human", bot, f"initiated by {event.initiated_by}"))
        # The receiving agent reads a screen, whatever the customer's channel: every section.
        sections = SECTIONS
        recent = settings.recent_messages if not target.is_async else max(20, settings.recent_messages)
        if bot:
            recent = max(10, settings.recent_messages)
        rule = ", ".join(
            name
            for name, used in (
                ("redact_summaries", masked),
                ("bot_to_human", bot),
                ("context_transfer", True),
            )
            if used
        )
        summary = SummarySpec(sections, recent, AGENT_SCREEN_CHARS, "masked" if masked else None, rule)
        verdicts.append(Verdict("context_transfer", True, f"summary for {target.name}"))
        if kind == "channel_switched":
            if event.initiated_by == "customer":
                draft = NotificationDraft("channel_move", "current", "channel_move", urgent=True)
                verdicts.append(
                    Verdict("confirm_channel_move", True, notify("confirm_channel_move", "moved", draft))
                )
            else:
                verdicts.append(Verdict("confirm_channel_move", False, f"by {event.initiated_by}"))
        elif event.from_channel and event.to_channel and event.from_channel != event.to_channel:
            phone = any(i.kind in channels.get("phone").identity_kinds for i in contact.identities)
            to_phone = event.to_channel == "phone" and phone
            purpose, template = ("callback", "transfer_phone") if to_phone else ("channel_move", "transfer")
            draft = NotificationDraft(purpose, "customer_last", template, urgent=True)
            verdicts.append(Verdict("explain_transfer", True, notify("explain_transfer", "moved", draft)))
        else:
            verdicts.append(Verdict("explain_transfer", False, "same channel"))
        suggestions.append(_route(s, target.name))
        verdicts.append(Verdict("route", True, "every handoff"))
    elif kind in ("agent_replied", "customer_idle"):
        last = journey.last_customer_at.get(event.channel)
        if kind == "agent_replied":
            due = last is None or event.at - last > settings.idle_after
        else:
            customer = max(journey.last_customer_at.values(), default=None)
            agent = max(journey.last_agent_at.values(), default=None)
            due = agent is not None and (customer is None or agent > customer)
        if due:
            draft = NotificationDraft("update", "best_async", "update", exclude=(event.channel,))
            verdicts.append(Verdict("continuous_update", True, notify("continuous_update", "away", draft)))
        else:
            verdicts.append(Verdict("continuous_update", False, "active"))
    elif kind == "tick":
        customer = max(journey.last_customer_at.values(), default=None)
        agent = max(journey.last_agent_at.values(), default=None)
        waiting = customer is not None and (agent is None or agent < customer)
        late = waiting and customer is not None and event.at - customer > settings.reply_sla
        due = late and journey.status in ("open", "pending")
        if due:
            why = f"no reply within {format_duration(settings.reply_sla)}: escalate"
            suggestions.append(Suggestion("escalate", None, why, "sla_warning"))
        verdicts.append(Verdict("sla_warning", due, f"waiting {waiting}, status {journey.status}"))
    elif kind == "callback_scheduled":
        draft = NotificationDraft("callback_confirmation", "best_async", "callback_confirmation")
        verdicts.append(Verdict("confirm_callback", True, notify("confirm_callback", "booked", draft)))
        before = settings.callback_reminder
        draft = NotificationDraft(
            "callback_reminder", "best_async", "callback_reminder", before_callback=before
        )
        verdicts.append(Verdict("remind_callback", True, notify("remind_callback", "booked", draft)))
    elif kind == "callback_missed":
        draft = NotificationDraft("callback_missed", "best_async", "callback_missed")
        verdicts.append(
            Verdict("rebook_missed_callback", True, notify("rebook_missed_callback", "missed", draft))
        )
        slot = (
            f"the next free slot is {spoken_slot(event.next_slot, contact.timezone)}"
            if event.next_slot is not None
            else _slot(s, settings)
        )
        why = f"the call did not reach the customer: book another slot or reply in writing; {slot}"
        suggestions.append(Suggestion("offer_callback", "phone", why, "rebook_missed_callback"))
    elif kind == "resolved":
        if not journey.surveyed and journey.first_response_at is not None:
            draft = NotificationDraft("survey", "customer_last", "survey", delay=settings.survey_delay)
            verdicts.append(
                Verdict("survey_after_resolution", True, notify("survey_after_resolution", "ok", draft))
            )
        else:
            verdicts.append(Verdict("survey_after_resolution", False, "surveyed or no reply"))
    verdicts.extend(planner.checks)
    return Decision(
        revision,
        event,
        tuple(verdicts),
        tuple(planner.planned),
        summary,
        tuple(suggestions),
        journey.id,
        journey.version,
        facts.seen,
        priority,
    )


def _route(s: Situation, channel: str) -> Suggestion:
    """Where the handoff should go: the channel's queue; language, priority and repeat skills."""
    journey, language = s.journey, s.contact.language
    skills = [f"lang:{language.lower()}"] if language else []
    reasons = ["the queue of the channel it goes to"]
    if journey.priority in ("high", "urgent"):
        reasons.append("a high or urgent journey needs agents on priority work")
        skills.append(f"{journey.priority}_priority")
    if journey.reopen_count >= 1:
        reasons.append("the customer came back about the same issue")
        skills.append("returning_customer")
    return Suggestion("route", None, "; ".join(reasons), "route", queue=channel, skills=tuple(skills))


def _slot(s: Situation, settings: PolicySettings) -> str:
    """When to call back: the next slot inside the customer's business hours."""
    tz = s.contact.timezone
    try:
        slot = next_business_slot(s.event.at, settings.business_hours, settings.business_days, tz)
    except ValidationError:
        return "schedule it inside the customer's business hours"
    local = slot.astimezone(zone(tz))
    if slot == s.event.at:
        return f"now is inside the customer's business hours ({local:%H:%M} {tz})"
    return f"schedule it for {local:%a %d %b %H:%M} {tz}, the next business-hours slot"


def same_outcome(engine: Decision, manual: Decision) -> bool:
    """Both decided the same: notifications as sent, summary, suggestions, rules that matched."""
    return (
        [_sent(n) for n in engine.notifications] == [_sent(n) for n in manual.notifications]
        and engine.summary == manual.summary
        and engine.suggestions == manual.suggestions
        and engine.priority == manual.priority
        and [(v.rule, v.matched) for v in engine.verdicts] == [(v.rule, v.matched) for v in manual.verdicts]
    )


def _situations() -> dict[str, Situation]:
    ana = Contact(
        id="ct_1",
        name="Ana K",
        links=(
            IdentityLink(parse_identity("email:ana@example.com"), True, "first_contact", T0),
            IdentityLink(parse_identity("phone:+14155550100"), True, "agent", T0),
        ),
        created_at=T0,
        timezone="Europe/Berlin",
        preferred_channels=("email",),
    )
    journey = Journey(
        id="jr_1",
        reference="J-7F3K9",
        contact_id="ct_1",
        status="open",
        current_channel="chat",
        opened_at=T0 - timedelta(hours=1),
        updated_at=T0,
        version=5,
        last_customer_at={"chat": T0 - timedelta(minutes=40), "email": T0 - timedelta(hours=1)},
        last_agent_at={"chat": T0 - timedelta(minutes=30)},
        last_customer_channel="chat",
        first_response_at=T0 - timedelta(minutes=30),
    )
    said = Interaction(
        id="ix_6",
        journey_id="jr_1",
        contact_id="ct_1",
        channel="chat",
        author="customer",
        body="Still waiting for order A-1042",
        at=T0,
        sequence=6,
    )
    events = {
        "inbound": Event("inbound", T0, "chat", initiated_by="customer"),
        "channel_switched": Event(
            "channel_switched", T0, "chat", from_channel="email", to_channel="chat", initiated_by="customer"
        ),
        "agent_replied": Event("agent_replied", T0, "chat", agent="alice"),
        "transfer_requested": Event(
            "transfer_requested",
            T0,
            "phone",
            from_channel="chat",
            to_channel="phone",
            initiated_by="agent",
            reason="escalation",
            agent="alice",
            to_agent="bob",
        ),
        "resolved": Event("resolved", T0, "chat", agent="alice"),
        "customer_idle": Event("customer_idle", T0, "chat"),
        "tick": Event("tick", T0, "chat"),
    }
    return {
        name: Situation(event, journey, ana, said, "email", customer_messages=2, sentiment=0.1)
        for name, event in events.items()
    }


def _sent(n: PlannedNotification) -> tuple[object, ...]:
    """A notification as the customer gets it (the reason wording may differ)."""
    return (n.purpose, n.channel, n.to, n.body, n.send_at, n.rule, n.template)


def _p50s(runs: Sequence[Callable[[], object]], repeat: int) -> list[float]:
    """The p50 of each run in µs, timed in turn so that drift in machine speed hits all alike."""
    timings: list[list[int]] = [[] for _ in runs]
    for _ in range(repeat):
        for run, times in zip(runs, timings, strict=True):
            began = time.perf_counter_ns()
            run()
            times.append(time.perf_counter_ns() - began)
    return [statistics.median(times) / 1000 for times in timings]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with few samples")
    repeat = 200 if parser.parse_args().quick else 5000
    policy = Policy.default()
    settings, revision = policy.settings, policy.revision
    print(f"{'event':<20} {'policy p50':>11} {'by hand p50':>12} {'ratio':>6}")
    ratios = []
    for name, situation in _situations().items():
        if not same_outcome(policy.decide(situation), handwritten(situation, settings, revision)):
            raise SystemExit(f"{name}: the policy and the hand-written rules disagree")
        ours, theirs = _p50s(
            [
                lambda s=situation: policy.decide(s),
                lambda s=situation: handwritten(s, settings, revision),
            ],
            repeat,
        )
        ratios.append(ours / theirs)
        print(f"{name:<20} {ours:>9.1f}µs {theirs:>10.1f}µs {ours / theirs:>5.2f}x")
    print(f"{'median ratio':<20} {statistics.median(ratios):>36.2f}x  (target <= 1.2x; p50 target <= 50 µs)")
    print(f"{'worst ratio':<20} {max(ratios):>36.2f}x")


if __name__ == "__main__":
    main()
