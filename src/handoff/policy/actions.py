"""What a declarative rule does when it matches: ``notify``, ``summary``, ``suggest``,
``suppress``, ``prioritize`` and ``route``.

Each action is a frozen value that loads from and writes back to a table
(``{do = "notify", channel = "best_async", template = "update", purpose = "update"}``)
and may carry its own ``when`` for a choice inside one rule.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from attrs import define, field

from handoff import channels
from handoff.errors import ValidationError
from handoff.events import Suggestion, SuggestionKind
from handoff.models import PRIORITIES, Priority, Redaction
from handoff.policy.conditions import Condition, Test, compile_condition, condition_to_data, parse_condition
from handoff.policy.durations import format_duration, parse_duration
from handoff.policy.facts import Facts
from handoff.policy.schedule import next_business_slot, spoken_slot, zone
from handoff.policy.situation import NotificationDraft, Situation, SummaryDraft
from handoff.summary import SECTIONS

__all__ = [
    "ACTIONS",
    "CHANNEL_CHOICES",
    "SUGGESTION_KINDS",
    "Action",
    "Notify",
    "Outputs",
    "Prioritize",
    "Route",
    "Suggest",
    "Summarize",
    "Suppress",
    "action_to_data",
    "parse_action",
    "private_sibling",
]

CHANNEL_CHOICES: tuple[str, ...] = ("current", "previous", "customer_last", "preferred", "best_async")
"""Channel choices besides a fixed channel name: where the journey is now, where it was,
where the customer last wrote, the contact's preferred channel, the best reachable
asynchronous channel (the contact's preferred async one, else SMS, else email)."""
SUGGESTION_KINDS: tuple[str, ...] = ("move_private", "offer_callback", "escalate", "route")
ACTIONS: tuple[str, ...] = ("notify", "summary", "suggest", "suppress", "prioritize", "route")
ROUTE_FIELDS: tuple[str, ...] = ("channel", "language", "priority")
"""What a route's ``queue`` and ``skills`` may name in braces: the channel the handoff
goes to, the contact's language and the journey's priority."""
_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
Problems = list[tuple[str, str]]


def _test_of(when: Condition | None) -> Test | None:
    return None if when is None else compile_condition(when)


class Outputs:
    """What a rule's actions produced, gathered while it runs."""

    __slots__ = ("notify", "priority", "suggestions", "summary", "suppress")

    def __init__(self) -> None:
        self.notify: list[NotificationDraft] = []
        self.suggestions: list[Suggestion] = []
        self.summary: SummaryDraft | None = None
        self.suppress: list[str] = []
        self.priority: Priority | None = None


@define(frozen=True)
class Notify:
    """Ask for a notification: ``purpose`` drives de-duplication, ``template`` its text."""

    purpose: str
    template: str
    channel: str = "current"
    delay: timedelta = timedelta(0)
    urgent: bool = False
    exclude: tuple[str, ...] = ()
    when: Condition | None = None
    before_callback: timedelta | None = None
    _test: Test | None = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_test", _test_of(self.when))

    def apply(self, facts: Facts, rule: str, out: Outputs) -> None:
        exclude = self.exclude
        if "event_channel" in exclude:
            event_channel = facts.situation.event.channel
            exclude = tuple(event_channel if name == "event_channel" else name for name in exclude)
        out.notify.append(
            NotificationDraft(
                self.purpose,
                self.channel,
                self.template,
                delay=self.delay,
                urgent=self.urgent,
                exclude=exclude,
                before_callback=self.before_callback,
            )
        )


@define(frozen=True)
class Summarize:
    """Shape the receiving side's summary; fields left unset are for later rules."""

    sections: tuple[str, ...] | None = None
    recent: int | None = None
    max_chars: int | None = None
    redaction: Redaction | None = None
    when: Condition | None = None
    _test: Test | None = field(init=False, eq=False, repr=False)
    _draft: SummaryDraft = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_test", _test_of(self.when))
        # A draft is frozen data: one serves every decision.
        object.__setattr__(
            self, "_draft", SummaryDraft(self.sections, self.recent, self.max_chars, self.redaction)
        )

    def apply(self, facts: Facts, rule: str, out: Outputs) -> None:
        if out.summary is None:
            out.summary = self._draft


@define(frozen=True)
class Suggest:
    """Advise the agent: move to a private channel, offer a scheduled callback, escalate.

    ``channel`` ``private`` means the private side of the event's channel; a callback
    suggestion names the next slot inside the customer's business hours.
    """

    kind: SuggestionKind
    reason: str
    channel: str | None = None
    when: Condition | None = None
    _test: Test | None = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_test", _test_of(self.when))

    def apply(self, facts: Facts, rule: str, out: Outputs) -> None:
        situation = facts.situation
        channel = self.channel
        if channel == "private":
            channel = private_sibling(situation.event.channel)
        reason = self.reason
        if self.kind == "offer_callback":
            reason = f"{reason}; {_callback_slot(facts)}"
        out.suggestions.append(Suggestion(self.kind, channel, reason, rule))


@define(frozen=True)
class Suppress:
    """Drop notifications with these purposes from the whole decision."""

    purposes: tuple[str, ...]
    when: Condition | None = None
    _test: Test | None = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_test", _test_of(self.when))

    def apply(self, facts: Facts, rule: str, out: Outputs) -> None:
        out.suppress.extend(self.purposes)


@define(frozen=True)
class Prioritize:
    """Set the journey's priority: ``set`` exactly, or ``at_least`` (raise it, never lower it).

    Within one decision the last rule that sets a priority wins.
    """

    set: Priority | None = None
    at_least: Priority | None = None
    when: Condition | None = None
    _test: Test | None = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_test", _test_of(self.when))

    def apply(self, facts: Facts, rule: str, out: Outputs) -> None:
        current = out.priority or facts.situation.journey.priority
        if self.set is not None:
            out.priority = self.set
        elif self.at_least is not None and PRIORITIES.index(self.at_least) > PRIORITIES.index(current):
            out.priority = self.at_least


@define(frozen=True)
class Route:
    """Name the queue and skills the receiving side of a handoff should have.

    ``queue`` and each of ``skills`` may name ``{channel}`` (where the handoff goes),
    ``{language}`` and ``{priority}``; a skill naming a language the contact has not
    given is left out. The route actions of one rule make one ``route`` suggestion: the
    first queue set wins, skills add up, and each action's ``reason`` joins its reason.
    """

    reason: str
    queue: str | None = None
    skills: tuple[str, ...] = ()
    when: Condition | None = None
    _test: Test | None = field(init=False, eq=False, repr=False)
    _filling: bool = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_test", _test_of(self.when))
        names = (self.queue or "", *self.skills)
        object.__setattr__(self, "_filling", any(isinstance(n, str) and "{" in n for n in names))

    def apply(self, facts: Facts, rule: str, out: Outputs) -> None:
        queue, skills = self.queue, self.skills
        if self._filling:
            situation = facts.situation
            queue = None if queue is None else _filled(queue, situation)
            skills = tuple(filter(None, (_filled(skill, situation) for skill in skills)))
        for i, earlier in enumerate(out.suggestions):
            if earlier.kind == "route" and earlier.rule == rule:
                if (earlier.queue or queue is None) and set(skills) <= set(earlier.skills):
                    return  # nothing to add: the reason stays about what decided the route
                out.suggestions[i] = Suggestion(
                    "route",
                    None,
                    f"{earlier.reason}; {self.reason}",
                    rule,
                    queue=earlier.queue or queue,
                    skills=tuple(dict.fromkeys((*earlier.skills, *skills))),
                )
                return
        out.suggestions.append(Suggestion("route", None, self.reason, rule, queue=queue, skills=skills))


def _filled(text: str, situation: Situation) -> str | None:
    """``text`` with its ``{field}`` names filled in; None when a field it names is unknown."""
    if "{" not in text:
        return text
    if "{channel}" in text:
        text = text.replace("{channel}", situation.event.to_channel or situation.event.channel)
    if "{priority}" in text:
        text = text.replace("{priority}", situation.journey.priority)
    if "{language}" in text:
        language = situation.contact.language
        if not language:
            return None
        text = text.replace("{language}", language.lower())
    return text


Action = Notify | Summarize | Suggest | Suppress | Prioritize | Route


def private_sibling(name: str) -> str | None:
    """The private channel reaching the same people as ``name`` (twitter -> twitter_dm)."""
    profile = channels.get(name)
    if not profile.is_public:
        return name
    for other in channels.profiles():
        if not other.is_public and profile.identity_kinds <= other.identity_kinds:
            return other.name
    return None


def _callback_slot(facts: Facts) -> str:
    """Prefer a scheduled callback inside the customer's business hours over a cold call."""
    situation, settings = facts.situation, facts.settings
    tz = situation.contact.timezone
    if situation.event.next_slot is not None:
        return f"the next free slot is {spoken_slot(situation.event.next_slot, tz)}"
    try:
        slot = next_business_slot(situation.event.at, settings.business_hours, settings.business_days, tz)
        local = slot.astimezone(zone(tz))
    except ValidationError:  # an unknown zone must not stop a decision
        return "schedule it inside the customer's business hours"
    if slot == situation.event.at:
        return f"now is inside the customer's business hours ({local:%H:%M} {tz})"
    return f"schedule it for {local:%a %d %b %H:%M} {tz}, the next business-hours slot"


# -- loading and writing ---------------------------------------------------------------------

_KEYS = {
    "notify": {
        "do",
        "purpose",
        "template",
        "channel",
        "delay",
        "urgent",
        "exclude",
        "when",
        "before_callback",
    },
    "summary": {"do", "sections", "recent", "max_chars", "redaction", "when"},
    "suggest": {"do", "kind", "reason", "channel", "when"},
    "suppress": {"do", "purposes", "when"},
    "prioritize": {"do", "set", "at_least", "when"},
    "route": {"do", "queue", "skills", "reason", "when"},
}
_ROUTE_NAME = re.compile(r"^(?:[a-z0-9_:.-]|\{(?:channel|language|priority)\})+$")


def parse_action(data: object, path: str, problems: Problems) -> Action | None:
    """The action written as ``data``; problems are appended with their paths."""
    if not isinstance(data, dict):
        problems.append((path, f"expected a table with 'do', got {type(data).__name__}"))
        return None
    do = data.get("do")
    if do not in ACTIONS:
        problems.append((f"{path}.do", f"unknown action {do!r} (known: {', '.join(ACTIONS)})"))
        return None
    before = len(problems)
    for key in sorted(str(k) for k in data if k not in _KEYS[do]):
        problems.append((f"{path}.{key}", f"not an option of {do} (options: {', '.join(sorted(_KEYS[do]))})"))
    when = parse_condition(data["when"], f"{path}.when", problems) if "when" in data else None
    action: Action | None
    if do == "notify":
        action = _parse_notify(data, path, problems, when)
    elif do == "summary":
        action = _parse_summary(data, path, problems, when)
    elif do == "suggest":
        action = _parse_suggest(data, path, problems, when)
    elif do == "prioritize":
        action = _parse_prioritize(data, path, problems, when)
    elif do == "route":
        action = _parse_route(data, path, problems, when)
    else:
        purposes = _slugs(data.get("purposes"), f"{path}.purposes", problems, required=True)
        action = Suppress(purposes, when) if purposes is not None else None
    return action if len(problems) == before else None


def _parse_notify(
    data: dict[str, Any], path: str, problems: Problems, when: Condition | None
) -> Notify | None:
    purpose = data.get("purpose")
    if not isinstance(purpose, str) or not _SLUG.match(purpose):
        problems.append((f"{path}.purpose", f"expected a lower-case name like 'update', got {purpose!r}"))
    template = data.get("template")
    if not isinstance(template, str) or not template:
        problems.append((f"{path}.template", f"expected a template name, got {template!r}"))
    channel = data.get("channel", "current")
    if channel not in CHANNEL_CHOICES and channel not in channels.names():
        choices = ", ".join(CHANNEL_CHOICES)
        problems.append((f"{path}.channel", f"unknown channel {channel!r} (a channel name or {choices})"))
    delay = parse_duration(data.get("delay", "0s"))
    if delay is None:
        problems.append(
            (f"{path}.delay", f"expected a duration like '15m' or '1h', got {data.get('delay')!r}")
        )
    urgent = data.get("urgent", False)
    if not isinstance(urgent, bool):
        problems.append((f"{path}.urgent", f"expected true or false, got {urgent!r}"))
    exclude = data.get("exclude", [])
    if not isinstance(exclude, list):
        problems.append((f"{path}.exclude", "expected a list of channel names or 'event_channel'"))
        exclude = []
    for i, name in enumerate(exclude):
        if name != "event_channel" and name not in channels.names():
            problems.append((f"{path}.exclude[{i}]", f"unknown channel {name!r}"))
    before = None
    if "before_callback" in data:
        before = parse_duration(data["before_callback"])
        if before is None:
            problems.append(
                (
                    f"{path}.before_callback",
                    f"expected a duration like '15m', got {data['before_callback']!r}",
                )
            )
    return Notify(purpose, template, channel, delay, urgent, tuple(exclude), when, before)  # type: ignore[arg-type]


def _parse_summary(
    data: dict[str, Any], path: str, problems: Problems, when: Condition | None
) -> Summarize | None:
    sections = data.get("sections")
    if sections is not None:
        if not isinstance(sections, list) or not sections:
            problems.append((f"{path}.sections", f"expected a non-empty list of {', '.join(SECTIONS)}"))
        else:
            for i, name in enumerate(sections):
                if name not in SECTIONS or name in sections[:i]:
                    why = (
                        "listed twice"
                        if name in SECTIONS
                        else f"unknown section (known: {', '.join(SECTIONS)})"
                    )
                    problems.append((f"{path}.sections[{i}]", f"{name!r}: {why}"))
    recent, max_chars = data.get("recent"), data.get("max_chars")
    for key, value, low in (("recent", recent, 0), ("max_chars", max_chars, 1)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
            problems.append((f"{path}.{key}", f"expected a whole number >= {low}, got {value!r}"))
    redaction = data.get("redaction")
    if redaction is not None and redaction not in ("none", "masked"):
        problems.append((f"{path}.redaction", f"expected 'none' or 'masked', got {redaction!r}"))
    if sections is None and recent is None and max_chars is None and redaction is None:
        problems.append(
            (path, "a summary action sets at least one of sections, recent, max_chars, redaction")
        )
    return Summarize(
        tuple(sections) if isinstance(sections, list) else None, recent, max_chars, redaction, when
    )


def _parse_suggest(
    data: dict[str, Any], path: str, problems: Problems, when: Condition | None
) -> Suggest | None:
    kind, reason, channel = data.get("kind"), data.get("reason"), data.get("channel")
    if kind not in SUGGESTION_KINDS:
        problems.append(
            (f"{path}.kind", f"unknown suggestion {kind!r} (known: {', '.join(SUGGESTION_KINDS)})")
        )
    elif kind == "route":
        problems.append((f"{path}.kind", "a route suggestion comes from the route action (do = 'route')"))
    if not isinstance(reason, str) or not reason.strip():
        problems.append((f"{path}.reason", "expected a sentence saying why"))
    if channel is not None and channel != "private" and channel not in channels.names():
        problems.append((f"{path}.channel", f"unknown channel {channel!r} (a channel name or 'private')"))
    return Suggest(kind, reason, channel, when)  # type: ignore[arg-type]


def _parse_prioritize(
    data: dict[str, Any], path: str, problems: Problems, when: Condition | None
) -> Prioritize | None:
    given = [key for key in ("set", "at_least") if key in data]
    if len(given) != 1:
        problems.append((path, "a prioritize action has exactly one of set, at_least"))
        return None
    value = data[given[0]]
    if value not in PRIORITIES:
        problems.append((f"{path}.{given[0]}", f"expected one of {', '.join(PRIORITIES)}, got {value!r}"))
        return None
    return Prioritize(**{given[0]: value}, when=when)


def _parse_route(data: dict[str, Any], path: str, problems: Problems, when: Condition | None) -> Route | None:
    reason, queue, skills = data.get("reason"), data.get("queue"), data.get("skills", [])
    if not isinstance(reason, str) or not reason.strip():
        problems.append((f"{path}.reason", "expected a sentence saying why"))
    fields = ", ".join("{" + name + "}" for name in ROUTE_FIELDS)
    if queue is not None and (not isinstance(queue, str) or not _ROUTE_NAME.match(queue)):
        problems.append((f"{path}.queue", f"expected a lower-case queue name (may use {fields}): {queue!r}"))
    if not isinstance(skills, list):
        problems.append((f"{path}.skills", f"expected a list of skill names, got {skills!r}"))
        skills = []
    for i, skill in enumerate(skills):
        if not isinstance(skill, str) or not _ROUTE_NAME.match(skill):
            problems.append(
                (f"{path}.skills[{i}]", f"expected a lower-case skill name (may use {fields}), got {skill!r}")
            )
    if queue is None and not skills:
        problems.append((path, "a route action sets a queue, skills or both"))
    return Route(reason, queue, tuple(skills), when)  # type: ignore[arg-type]


def _slugs(value: object, path: str, problems: Problems, *, required: bool) -> tuple[str, ...] | None:
    if not isinstance(value, list) or (required and not value):
        problems.append((path, f"expected a non-empty list of names, got {value!r}"))
        return None
    bad = [i for i, item in enumerate(value) if not isinstance(item, str) or not _SLUG.match(item)]
    for i in bad:
        problems.append((f"{path}[{i}]", f"expected a lower-case name, got {value[i]!r}"))
    return None if bad else tuple(value)


def action_to_data(action: Action) -> dict[str, Any]:
    """The table :func:`parse_action` reads back into an equal action."""
    data: dict[str, Any]
    if isinstance(action, Notify):
        data = {
            "do": "notify",
            "purpose": action.purpose,
            "template": action.template,
            "channel": action.channel,
        }
        if action.delay:
            data["delay"] = format_duration(action.delay)
        if action.urgent:
            data["urgent"] = True
        if action.exclude:
            data["exclude"] = list(action.exclude)
        if action.before_callback is not None:
            data["before_callback"] = format_duration(action.before_callback)
    elif isinstance(action, Summarize):
        data = {"do": "summary"}
        if action.sections is not None:
            data["sections"] = list(action.sections)
        for key in ("recent", "max_chars", "redaction"):
            if getattr(action, key) is not None:
                data[key] = getattr(action, key)
    elif isinstance(action, Suggest):
        data = {"do": "suggest", "kind": action.kind, "reason": action.reason}
        if action.channel is not None:
            data["channel"] = action.channel
    elif isinstance(action, Prioritize):
        data = {"do": "prioritize"}
        if action.set is not None:
            data["set"] = action.set
        if action.at_least is not None:
            data["at_least"] = action.at_least
    elif isinstance(action, Route):
        data = {"do": "route", "reason": action.reason}
        if action.queue is not None:
            data["queue"] = action.queue
        if action.skills:
            data["skills"] = list(action.skills)
    else:
        data = {"do": "suppress", "purposes": list(action.purposes)}
    if action.when is not None:
        data["when"] = condition_to_data(action.when)
    return data
