"""Drawing summaries for terminals, markdown and HTML, and never past the budget."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.errors import ValidationError
from handoff.models import ContextSummary, PathStep
from handoff.show import FORMATS, journey_html, render_path, render_summary
from handoff.summary import SummarySpec, build_summary
from tests.journeys import TYPICAL, at, build

NOW = at(60)
TRANSITION = "chat → phone, by an agent, reason: escalation"
LAST_CUSTOMER = TYPICAL[-1][3]


def typical(channel: str = "phone", max_chars: int = 600) -> ContextSummary:
    """A summary for an agent whose screen holds ``max_chars`` (a small screen-pop by default)."""
    built = build()
    return build_summary(
        built.journey,
        built.contact,
        built.interactions,
        for_channel=channel,
        now=NOW,
        transition=TRANSITION,
        spec=SummarySpec(max_chars=max_chars),
    )


class _Balance(HTMLParser):
    """Collects what a parser sees: unbalanced tags, and text where a cut tag would show up."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append(f"raw markup in text: {data!r}")


def html_problems(markup: str) -> list[str]:
    parser = _Balance()
    parser.feed(markup)
    parser.close()
    return parser.problems + [f"<{tag}> never closed" for tag in parser.open]


# -- the three formats ---------------------------------------------------------------------------


def test_text_has_every_section_in_order() -> None:
    text = render_summary(typical(), "text")
    lines = text.splitlines()
    assert lines[0] == "Handoff J-7F3K9 to Phone · open · first contact 57 min ago"
    assert lines[1] == "Ana Kovač: ✔ twitter:@ana_k · ✘ email:ana@example.com (unconfirmed, journey ref)"
    assert lines[2] == "Local time: Wed 12 Mar 16:00 (Europe/Madrid) · language es"
    assert lines[3].startswith("Issue: @acme my order A-1042 never arrived")
    assert lines[4] == f"Transition: {TRANSITION}"
    headings = ["Facts already given", "Recent messages", "Open commitments", "Agent notes", "Checklist"]
    assert [line for line in lines if line in headings] == headings
    assert "  - order: A-1042 (twitter, 12 Mar 14:03)" in lines
    assert f"  - 12 Mar 14:36 chat customer: {LAST_CUSTOMER}" in lines
    assert "  - 12 Mar 14:33 chat agent maria: Calling you in 5 minutes." in lines
    assert "  [ ] Ask for feedback after resolution" in lines
    assert lines[-1] == "Path: twitter → twitter_dm → chat"
    assert "\x1b" not in text and "<" not in text


def test_markdown_uses_headings_lists_and_escapes() -> None:
    md = render_summary(typical(), "markdown")
    assert md.startswith("### Handoff J-7F3K9 to Phone")
    assert "#### Facts already given" in md
    assert "- **order:** A-1042 (twitter, 12 Mar 14:03)" in md
    assert "- [ ] Review the history above before replying" in md
    assert "twitter:@ana\\_k" in md  # an underscore would start emphasis
    assert "\\$49.99" in md  # a dollar sign would start maths in notebooks


def test_html_is_escaped_self_contained_and_well_formed() -> None:
    built = build((("chat", "customer", "message", '<script>alert("x")</script> & <b>bold</b>'),))
    summary = build_summary(built.journey, built.contact, built.interactions, for_channel="chat", now=NOW)
    markup = render_summary(summary, "html")
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "&amp;" in markup
    assert "http" not in markup and "<link" not in markup and "class=" not in markup
    assert html_problems(markup) == []
    assert html_problems(render_summary(typical(), "html")) == []


def test_untrusted_text_cannot_drive_the_terminal() -> None:
    body = "red \x1b[31malert\x1b[0m \u202eevil\u202c\r\nnext line\ttab \x07"
    built = build((("chat", "customer", "message", body),))
    summary = build_summary(built.journey, built.contact, built.interactions, for_channel="chat", now=NOW)
    for fmt in FORMATS:
        out = render_summary(summary, fmt)
        assert not any(ch in out for ch in "\x1b\x07\r\t\u202e\u202c")
    assert "red [31malert[0m evil next line tab" in render_summary(summary, "text")


def test_summary_render_uses_its_own_budget_and_str_is_text() -> None:
    summary = typical()
    assert summary.max_chars == 600
    assert len(summary.render()) <= 600
    assert summary.render() == render_summary(summary, "text", 600)
    assert str(summary) == summary.render("text")
    assert summary._repr_html_() == summary.render("html")
    assert len(render_summary(summary, "text")) > 600  # no budget: everything


# -- the budget ----------------------------------------------------------------------------------


@given(st.integers(1, 2000), st.sampled_from(FORMATS), st.sampled_from(["phone", "twitter", "chat"]))
@settings(max_examples=300, deadline=None)
def test_budget_is_never_exceeded_and_html_stays_well_formed(budget: int, fmt: str, channel: str) -> None:
    out = render_summary(typical(channel), fmt, budget)  # type: ignore[arg-type]
    assert 0 < len(out) <= budget
    if fmt == "html":
        assert html_problems(out) == []


@given(
    st.lists(st.text(max_size=80), min_size=1, max_size=5),
    st.text(max_size=40),
    st.integers(1, 1500),
    st.sampled_from(FORMATS),
)
@settings(max_examples=150, deadline=None)
def test_any_text_fits_any_budget(bodies: list[str], subject: str, budget: int, fmt: str) -> None:
    built = build(tuple(("chat", "customer", "message", b) for b in bodies), subject=subject)
    summary = build_summary(built.journey, built.contact, built.interactions, for_channel="chat", now=NOW)
    out = render_summary(summary, fmt, budget)  # type: ignore[arg-type]
    assert len(out) <= budget
    if fmt == "html":
        assert html_problems(out) == []


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_phone_screen_pop_keeps_identity_issue_facts_and_the_last_customer_words(fmt: str) -> None:
    out = render_summary(typical(), fmt, 600)  # type: ignore[arg-type]
    assert len(out) <= 600
    assert "J-7F3K9" in out
    assert "unconfirmed" in out and "twitter:@ana" in out
    assert "A-1042 never arrived" in out
    assert "A-1042 (twitter, 12 Mar 14:03)" in out and "•••• 4242 (twitter" in out
    assert "waiting for the call about my order" in out
    assert "Path:" not in out and "Calling you in 5 minutes" not in out


def test_html_screen_pop_keeps_identity_and_issue() -> None:
    out = render_summary(typical(), "html", 600)
    assert len(out) <= 600 and html_problems(out) == []
    assert "J-7F3K9" in out and "unconfirmed" in out and "A-1042 never arrived" in out


def test_sections_go_in_order_of_least_harm() -> None:
    summary = typical()
    full = render_summary(summary, "text")
    assert "Path:" not in render_summary(summary, "text", len(full) - 1)
    assert render_summary(summary, "text", len(full) - 1).count("\n") >= full.count("\n") - 2
    order = [  # each marker outlives the ones before it as the budget shrinks
        "Path: ",
        "Thanks Ana, checking",
        "VIP customer",
        "Call the customer back",
        "Review the history above",
        "email: ana@example.com",
        "order: A-1042",
        "waiting for the call about my order",
        "Transition:",
        "Issue:",
    ]
    for budget in range(100, len(full) + 1, 7):
        out = render_summary(summary, "text", budget)
        present = [marker in out for marker in order]
        first = present.index(True) if True in present else len(order)
        assert all(present[first:]), (budget, out)


def test_the_last_customer_message_is_shortened_before_it_is_dropped() -> None:
    long = "please " * 60 + "call me back about A-1042"
    built = build((*TYPICAL, ("chat", "customer", "message", long)))
    summary = build_summary(built.journey, built.contact, built.interactions, for_channel="phone", now=NOW)
    out = render_summary(summary, "text", 600)
    assert len(out) <= 600
    assert "please please" in out and "…" in out
    assert "order: A-1042" in out


def test_tiny_budgets_cut_with_an_ellipsis() -> None:
    summary = typical()
    assert render_summary(summary, "text", 1) == "…"
    assert render_summary(summary, "text", 12) == "Handoff J-7…"
    assert render_summary(summary, "markdown", 8) == "### Han…"
    assert render_summary(summary, "html", 5) == "Hand…"


@pytest.mark.parametrize(
    ("fmt", "budget", "field"),
    [("pdf", None, "fmt"), ("TEXT", None, "fmt"), ("text", 0, "max_chars"), ("text", True, "max_chars")],
)
def test_bad_format_or_budget_is_a_validation_error(fmt: str, budget: object, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        render_summary(typical(), fmt, budget)  # type: ignore[arg-type]
    assert err.value.field == field


def test_something_else_than_a_summary_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as err:
        render_summary("J-7F3K9", "text")  # type: ignore[arg-type]
    assert err.value.field == "summary"
    with pytest.raises(ValidationError) as err:
        journey_html("J-7F3K9")  # type: ignore[arg-type]
    assert err.value.field == "journey"


# -- paths and journeys ----------------------------------------------------------------------------


def test_render_path() -> None:
    steps = [PathStep(c, at(i)) for i, c in enumerate(["twitter", "twitter_dm", "chat", "chat", "phone"])]
    assert render_path(steps) == "twitter → twitter_dm → chat → phone"
    assert render_path(["email", "phone", "email"]) == "email → phone → email"
    assert render_path(["twitter", "chat"], icons=True) == "🐦 twitter → 💬 chat"
    assert render_path(["pigeon"], icons=True) == "• pigeon"
    assert render_path([]) == ""


def test_journey_html_card() -> None:
    journey = build().journey
    markup = journey_html(journey)
    assert "J-7F3K9" in markup and "open" in markup
    assert "🐦 twitter → 🐦 twitter_dm → 💬 chat" in markup
    assert f"{len(journey.facts)} facts" in markup and "12 Mar 2025 14:03 UTC" in markup
    assert html_problems(markup) == []
    assert journey._repr_html_() == markup
    odd = evolve(journey, reference="<J&1>", path=(), facts=journey.facts[:1])
    assert "&lt;J&amp;1&gt;" in journey_html(odd) and "1 fact ·" in journey_html(odd)
