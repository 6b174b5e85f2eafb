"""Notebook and terminal drawings: readable, self-contained, and inert whatever customers write."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff import show
from handoff.errors import ValidationError
from handoff.models import Fact, PathStep, SummaryLine
from handoff.policy import Event, Policy, Situation
from handoff.testing.factories import (
    make_contact,
    make_handoff,
    make_interaction,
    make_journey,
    make_notification,
)
from tests.journeys import T0, at, build

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> [bold red]boom[/] \\[link]'
UNESCAPED = re.compile(r"(?<!\\)\[bold red\]")  # the customer's markup, live
ALLOWED = {"div", "span", "b", "ol", "ul", "li", "table", "tr", "td", "th", "code"}


class _Tags(HTMLParser):
    """The tags, attributes and text a browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(name for name, _value in attrs)
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (self.open, tag)
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    assert parser.open == [], parser.open
    return parser


def assert_inert(markup: str) -> _Tags:
    """Only the drawing's own tags, only inline styles: no script, image, link or handler."""
    tags = parsed(markup)
    assert set(tags.tags) <= ALLOWED, set(tags.tags) - ALLOWED
    assert set(tags.attributes) <= {"style"}
    assert "http" not in markup and "url(" not in markup
    return tags


def hostile_journey():  # type: ignore[no-untyped-def]
    journey = build().journey
    fact = Fact("order", HOSTILE, HOSTILE, "chat", at(5), "in_1")
    note = SummaryLine(at(6), "chat", "agent", HOSTILE, agent="<b>eve</b>")
    return evolve(
        journey, reference="J-<i>", subject=HOSTILE, facts=(fact,), notes=(note,), commitments=(HOSTILE,)
    )


# -- journeys --------------------------------------------------------------------------------------


def test_journey_card_shows_path_counts_facts_and_notes() -> None:
    journey = build().journey
    card = journey._repr_html_()
    assert card == show.journey_html(journey)
    text = "".join(assert_inert(card).text)
    assert "Journey J-7F3K9" in text and "open" in text
    assert "🐦 twitter → 🐦 twitter_dm → 💬 chat" in text
    assert f"{len(journey.facts)} facts · 0 handoffs" in text
    assert "A-1042" in text and "Call the customer back within 10 minutes" in text
    assert "#1d9bf0" in card  # Twitter's colour on its chip


def test_journey_card_escapes_what_customers_and_agents_wrote() -> None:
    card = hostile_journey()._repr_html_()
    tags = assert_inert(card)
    assert "<script" not in card and "<img" not in card and "<i>" not in card
    assert HOSTILE in "".join(tags.text)  # shown as text, exactly


def test_journey_rich_markup_escapes_brackets() -> None:
    rich = hostile_journey().__rich__()
    assert rich.startswith("[bold]Journey J-<i>[/bold]")
    assert not UNESCAPED.search(rich) and "\\[bold red]boom\\[/]" in rich
    assert "\\\\\\[link]" in rich  # a backslash before a bracket cannot unescape it


def test_rich_renders_the_markup_when_it_is_installed() -> None:
    rich_console = pytest.importorskip("rich.console")
    console = rich_console.Console(record=True, width=200, color_system=None)
    console.print(hostile_journey())
    shown = console.export_text()
    assert "[bold red]boom[/]" in shown and "Journey J-<i>" in shown


def test_an_empty_journey_still_draws() -> None:
    journey = make_journey()
    card = journey._repr_html_()
    assert "—" in card and "0 facts · 0 handoffs" in card
    assert_inert(card)


def test_something_else_than_a_journey_is_a_validation_error() -> None:
    for draw in (show.journey_html, show.journey_rich):
        with pytest.raises(ValidationError) as err:
            draw("J-7F3K9")  # type: ignore[arg-type]
        assert err.value.field == "journey"


_DRAW_WITHOUT_RICH = """
import sys
from handoff import FixedClock, Inbound, SeededIds, Switchboard, show
from datetime import datetime, timezone
clock = FixedClock(datetime(2026, 3, 10, tzinfo=timezone.utc))
board = Switchboard.open("memory://", clock=clock, ids=SeededIds(1))
out = board.receive(Inbound(channel="chat", identity="email:a@example.com", body="A-1042?", at=clock.now()))
out.journey.__rich__(); out.journey._repr_html_()
show.timeline(out.journey, board.history(out.journey.id)).__rich__()
print(sorted(name for name in sys.modules if name == "rich" or name.startswith("rich.")))
"""


def test_rich_is_never_imported() -> None:
    # A fresh interpreter: in this one, the optional rich test may have loaded it already.
    done = subprocess.run(
        [sys.executable, "-c", _DRAW_WITHOUT_RICH], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- timelines -------------------------------------------------------------------------------------


def test_timeline_interleaves_messages_handoffs_and_notifications_in_time_order() -> None:
    built = build()
    journey = built.journey
    handoff = make_handoff(journey, from_channel="chat", to_channel="phone", reason="escalation", at=at(40))
    note = make_notification(journey, channel="sms", purpose="callback", send_at=at(41), created_at=at(40))
    line = show.timeline(journey, built.interactions, [handoff], [note])
    entries = line.entries()
    assert [e[0] for e in entries] == sorted(e[0] for e in entries)
    assert len(entries) == len(built.interactions) + 2
    assert ("handoff by customer", "chat → phone: escalation, cold") in [(e[2], e[3]) for e in entries]
    html = line._repr_html_()
    text = "".join(assert_inert(html).text)
    assert "notification (pending)" in text and "callback: Your case J-7F3K9 moved to chat." in text
    assert "☎ phone" in text and "✆ sms" in text
    assert str(line).splitlines()[0].startswith("12 Mar 14:03  twitter")
    assert line.__rich__().startswith("[bold]Journey J-7F3K9[/bold]")


def test_timeline_shortens_long_messages_to_one_line() -> None:
    journey = make_journey()
    long = make_interaction(journey, body="line one\nline two " + "x" * 1000)
    ((_at, _channel, _who, what),) = show.timeline(journey, [long]).entries()
    assert "\n" not in what and len(what) == 400 and what.endswith("…")


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=40))
def test_any_text_draws_as_inert_html(body: str, agent: str) -> None:
    journey = make_journey()
    item = make_interaction(journey, body=body, author="agent", agent=agent.strip() or "a")
    handoff = make_handoff(journey, to_agent=body[:200].strip() or None)
    note = make_notification(journey, body=body)
    line = show.timeline(journey, [item], [handoff], [note])
    assert_inert(line._repr_html_())
    rich = line.__rich__()
    body_markup = rich.split("\n", 1)[1]
    assert "[" not in body_markup.replace("\\[", "").replace("[dim]", "").replace("[/dim]", "").replace(
        "[bold]", ""
    ).replace("[/bold]", "")


def test_timeline_refuses_records_of_another_journey_or_kind() -> None:
    journey = make_journey()
    other = make_journey()
    with pytest.raises(ValidationError) as err:
        show.timeline(journey, [make_interaction(other)])
    assert err.value.field == "interactions[0]"
    with pytest.raises(ValidationError) as err:
        show.timeline(journey, [], ["not a handoff"])  # type: ignore[list-item]
    assert err.value.field == "handoffs[0]"
    with pytest.raises(ValidationError) as err:
        show.timeline("J-1", [])  # type: ignore[arg-type]
    assert err.value.field == "journey"
    with pytest.raises(ValidationError) as err:
        show.timeline(journey, "hello")  # type: ignore[arg-type]
    assert err.value.field == "interactions"


# -- summaries and decisions -----------------------------------------------------------------------


def test_summary_reprs_delegate_to_its_renderings() -> None:
    journey = build().journey
    summary = make_handoff(journey).summary
    assert summary._repr_html_() == summary.render("html")
    rich = summary.__rich__()
    first, _, rest = summary.render("text").partition("\n")
    assert rich.startswith(f"[bold]{first}[/bold]\n")
    assert rest.replace("[", "\\[") in rich


def test_decision_reprs_escape_and_colour() -> None:
    policy = Policy.from_dict(
        {
            "rules": [
                {
                    "name": "x",
                    "on": ["inbound"],
                    "actions": [{"do": "suggest", "kind": "escalate", "reason": HOSTILE}],
                }
            ]
        }
    )
    contact = make_contact("email:ana@example.com")
    journey = make_journey(contact, current_channel="whatsapp", path=(PathStep("whatsapp", T0),))
    decision = policy.decide(
        Situation(Event("inbound", T0 + timedelta(minutes=1), "whatsapp"), journey, contact, None)
    )
    page = decision._repr_html_()
    assert page == show.decision_html(decision)
    assert_inert(page)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "🟢 whatsapp" in page and "<table>" in page
    rich = decision.__rich__()
    assert "[green]  ✔ x:" in rich and not UNESCAPED.search(rich)
