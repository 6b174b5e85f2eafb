"""HTML bodies (email parts, help-desk comments) read as the text a person wrote."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.ingest._html import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("Line<br>break", "Line\nbreak"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        ("<style>p {}</style><p>Fish &amp; chips&nbsp;now</p>", "Fish & chips now"),
        ("<div>  spaced\n   out  </div>", "spaced out"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("<table><tr><td>Order</td><td>A-17</td></tr></table>", "Order\nA-17"),
        ("<h2>Refund</h2>approved", "Refund\n\napproved"),
        ("<pre>def f():\n    return 1</pre>", "def f():\n    return 1"),
        (
            "<p>Thanks</p><blockquote>Your order has shipped.</blockquote>",
            "Thanks\n\n> Your order has shipped.",
        ),
        ("<p>Hi</p><blockquote>Where?</blockquote><p>Here.</p>", "Hi\n\n> Where?\n\nHere."),
        ("<blockquote>a<blockquote>b</blockquote></blockquote>c", "> a\n>\n> > b\n>\nc"),
    ],
)
def test_html_becomes_readable_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("html", "text"),
    [("<p>a</p><![if x]>b", "a\n\nb"), ("<p>hi<blockquote>x", "hi\n\n> x")],
)
def test_broken_markup_still_gives_its_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@given(st.text(alphabet=st.sampled_from("<>/&;#!-[]ab p\n\"'=x"), max_size=60) | st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_markup_becomes_text_without_raising(html: str) -> None:
    text = html_to_text(html)
    assert text == text.strip()
    assert "\n\n\n" not in text
