"""The drawing package: every record draws itself, escapes customer text, writes durations one way."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

import handoff
from handoff import Policy, show
from handoff.errors import ValidationError
from handoff.models import PathStep
from handoff.policy import Event, Situation
from handoff.policy.decision import Decision
from handoff.testing.factories import make_contact, make_handoff, make_journey, make_notification
from tests.journeys import T0, build
from tests.test_display import HOSTILE, UNESCAPED, assert_inert

SRC = Path(handoff.__file__).parent
_UNITS = {"d": 86_400, "h": 3_600, "min": 60, "s": 1}
_STYLE = re.compile(r"^-?(0 s|\d+ (d|h|min|s)( \d+ (h|min|s))?)$")


def hostile_contact():  # type: ignore[no-untyped-def]
    contact = make_contact("email:ana@example.com", name=HOSTILE)
    return evolve(
        contact,
        consent={"sms": False},
        preferred_channels=("whatsapp",),
        language="es",
        timezone="Europe/Madrid",
    )


def hostile_handoff():  # type: ignore[no-untyped-def]
    journey = build().journey
    handoff = make_handoff(journey, to_agent=HOSTILE, from_agent="alice", warm=True)
    summary = evolve(handoff.summary, issue=HOSTILE, commitments=(HOSTILE,))
    return evolve(handoff, summary=summary)


def hostile_notification():  # type: ignore[no-untyped-def]
    return make_notification(build().journey, body=HOSTILE, reason=HOSTILE)


def a_decision(reason: str = HOSTILE) -> Decision:
    policy = Policy.from_dict(
        {
            "rules": [
                {
                    "name": "x",
                    "on": ["inbound"],
                    "actions": [{"do": "suggest", "kind": "escalate", "reason": reason}],
                }
            ]
        }
    )
    contact = make_contact("email:ana@example.com")
    journey = make_journey(contact, current_channel="whatsapp", path=(PathStep("whatsapp", T0),))
    return policy.decide(
        Situation(Event("inbound", T0 + timedelta(minutes=1), "whatsapp"), journey, contact, None)
    )


# -- every record in a notebook and a terminal -----------------------------------------------------


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (hostile_contact, ["email:ana@example.com", "first contact", "Europe/Madrid", "sms ✘", "whatsapp"]),
        (hostile_handoff, ["Handoff", "email", "chat", "warm", "by customer", "alice →", "Handoff J-7F3K9"]),
        (hostile_notification, ["pending", "rule", "12 Mar 2025"]),
    ],
)
def test_records_draw_as_inert_html_with_customer_text_escaped(make, expected) -> None:  # type: ignore[no-untyped-def]
    record = make()
    page = record._repr_html_()
    assert page == show.draw(record, "html")
    tags = assert_inert(page)
    text = "".join(tags.text)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert HOSTILE in text  # shown as text, exactly
    for piece in expected:
        assert piece in text, piece


@pytest.mark.parametrize("make", [hostile_contact, hostile_handoff, hostile_notification])
def test_records_draw_as_inert_rich_markup(make) -> None:  # type: ignore[no-untyped-def]
    markup = make().__rich__()
    assert not UNESCAPED.search(markup) and "\\[bold red]boom\\[/]" in markup


@pytest.mark.parametrize(
    "make", [hostile_contact, hostile_handoff, hostile_notification, a_decision, lambda: build().journey]
)
def test_rich_prints_every_record_with_the_customer_markup_as_text(make) -> None:  # type: ignore[no-untyped-def]
    rich_console = pytest.importorskip("rich.console")
    console = rich_console.Console(record=True, width=300, color_system=None)
    console.print(make())
    shown = console.export_text()
    assert shown.strip()
    if make is not build:
        assert "[bold red]boom[/]" in shown or "boom" not in shown


def test_a_policy_draws_its_rules_in_order_and_its_settings() -> None:
    policy = Policy.default()
    page = policy._repr_html_()
    text = "".join(assert_inert(page).text)
    assert policy.revision in text
    names = [rule.name for rule in policy.rules]
    assert [name for name in names if name in text] == names
    positions = [text.index(name) for name in names[:3]]
    assert positions == sorted(positions)
    assert "7 d" in text and "15 min" in text and "4 h" in text  # reopen_window, idle_after, reply_sla
    rich = policy.__rich__()
    assert rich.startswith(f"[bold]Policy {policy.revision}[/bold]") and "reopen_window = 7 d" in rich


def test_a_policy_with_hostile_descriptions_stays_inert() -> None:
    rule = {
        "name": "x",
        "on": ["inbound"],
        "description": HOSTILE,
        "actions": [{"do": "suggest", "kind": "escalate", "reason": "the customer asked twice"}],
    }
    policy = Policy.from_dict({"rules": [rule]})
    page = policy._repr_html_()
    assert HOSTILE in "".join(assert_inert(page).text)
    assert not UNESCAPED.search(policy.__rich__())


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=120).filter(lambda text: "http" not in text and "url(" not in text))
def test_any_customer_text_draws_inert_in_every_card(body: str) -> None:
    # A body may not itself hold "http": assert_inert refuses any link text in the page.
    journey = make_journey()
    note = make_notification(journey, body=body, reason=body)
    handoff = make_handoff(journey, to_agent=body[:200].strip() or None)
    contact = evolve(make_contact(), name=body[:200].strip() or None)
    for record in (note, handoff, contact):
        assert_inert(record._repr_html_())
        markup = record.__rich__()
        for tag in ("[bold]", "[/bold]", "[dim]", "[/dim]"):
            markup = markup.replace(tag, "")
        assert "[" not in markup.replace("\\[", "")


# -- decisions take a format like the others -------------------------------------------------------


def test_decision_render_takes_a_format() -> None:
    decision = a_decision()
    text = decision.render("text")
    assert text == decision.render() == str(decision)
    assert text.splitlines()[0].startswith(f"decision {decision.id}")
    assert "rules:\n  ✔ x:" in text
    markdown = decision.render("markdown")
    escaped_id = decision.id.replace("_", "\\_")
    assert markdown.startswith(f"### decision {escaped_id} · policy")
    assert "#### Rules" in markdown and "#### Suggestions" in markdown
    assert "\\<script\\>" in markdown and "<script>" not in markdown
    page = decision.render("html")
    assert page == decision._repr_html_() == show.render_decision(decision, "html")
    assert_inert(page)


@pytest.mark.parametrize("fmt", ["pdf", "rich", "", None])
def test_a_decision_in_an_unknown_format_is_a_validation_error(fmt: object) -> None:
    with pytest.raises(ValidationError) as err:
        a_decision().render(fmt)  # type: ignore[arg-type]
    assert err.value.field == "fmt"


def test_draw_refuses_what_it_does_not_draw() -> None:
    with pytest.raises(ValidationError) as err:
        show.draw("J-7F3K9", "html")
    assert err.value.field == "record"
    with pytest.raises(ValidationError) as err:
        show.draw(build().journey, "markdown")
    assert err.value.field == "fmt" and "['html', 'rich']" in err.value.problem
    with pytest.raises(ValidationError) as err:
        show.render_decision("not a decision")  # type: ignore[arg-type]
    assert err.value.field == "decision"


# -- one style for durations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(seconds=303), "5 min 3 s"),
        (timedelta(minutes=15), "15 min"),
        (timedelta(hours=2, minutes=5, seconds=59), "2 h 5 min"),
        (timedelta(hours=2, seconds=30), "2 h"),
        (timedelta(days=3, hours=4, minutes=1), "3 d 4 h"),
        (timedelta(days=271, hours=5), "271 d 5 h"),
        (timedelta(minutes=-90), "-1 h 30 min"),
    ],
)
def test_duration_writes_the_two_largest_units(delta: timedelta, text: str) -> None:
    assert show.duration(delta) == text


@given(st.timedeltas(min_value=timedelta(days=-3000), max_value=timedelta(days=3000)))
def test_duration_is_the_value_cut_to_its_two_largest_units(delta: timedelta) -> None:
    text = show.duration(delta)
    assert _STYLE.match(text), text
    sign = -1 if text.startswith("-") else 1
    parts = text.lstrip("-").split()
    shown = sum(int(n) * _UNITS[unit] for n, unit in zip(parts[::2], parts[1::2], strict=True))
    whole = abs(round(delta.total_seconds()))
    largest = _UNITS[parts[1]]
    assert shown <= whole < shown + max(largest // {86_400: 24, 3_600: 60, 60: 60, 1: 1}[largest], 1)
    assert sign * shown == 0 or (sign < 0) == (round(delta.total_seconds()) < 0)


def test_duration_refuses_what_is_not_a_duration() -> None:
    with pytest.raises(ValidationError) as err:
        show.duration(90)  # type: ignore[arg-type]
    assert err.value.field == "duration"


def test_every_drawing_writes_durations_in_the_one_style() -> None:
    policy = Policy.default()
    shown = dict(re.findall(r"^  (\w+) = (.*)$", policy.__rich__(), flags=re.MULTILINE))
    durations = [
        name for name, value in attrs.asdict(policy.settings).items() if isinstance(value, timedelta)
    ]
    assert len(durations) >= 5
    assert all(_STYLE.match(shown[name]) for name in durations), shown
    assert shown["quiet_hours"] == "21:00–08:00"
    decision = evolve(a_decision(), facts={"customer.idle": timedelta(hours=26), "x": 1})
    for fmt in ("text", "markdown"):
        assert "customer.idle = 1 d 2 h" in decision.render(fmt).replace("\\", "")
    assert "1 d 2 h" in decision.render("html")
    summary = make_handoff(build().journey).summary
    opened = summary.generated_at - timedelta(hours=2, minutes=5, seconds=10)
    header = evolve(summary, opened_at=opened).render("text").splitlines()[0]
    assert header.endswith("first contact 2 h 5 min ago")


# -- records know nothing of their drawing ---------------------------------------------------------


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(
    "module",
    [
        "models.py",
        "events.py",
        "summary/__init__.py",
        "summary/_issue.py",
        "summary/_opening.py",
        "policy/decision.py",
        "policy/engine.py",
    ],
)
def test_records_never_import_the_drawing(module: str) -> None:
    imported = _imports(SRC / module)
    assert not {
        name for name in imported if name.startswith(("handoff.show", "handoff.display", "handoff.render"))
    }


_WRITE_PATH = tuple(
    f"handoff.{name}"
    for name in ("switchboard", "stores", "cli", "flow", "_intake", "_events", "_desk", "_upkeep", "_bulk")
)


def test_the_drawing_package_imports_only_records_and_foundations() -> None:
    for path in (SRC / "show").glob("*.py"):
        for name in _imports(path):
            assert not name.startswith(_WRITE_PATH), (path, name)
