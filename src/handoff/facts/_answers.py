"""Bare answers: "What's your order number?" - "7916676427" is an order number.

A customer answering an agent's question often sends the value alone. Read on its own
it is just digits (no phone: nothing says "call"; no order: nothing says "order"), so
the question it answers names its kind. :func:`asked_for` reads the kind an agent's
message asks for; :func:`bare_answer` finds the one value a short reply holds. Both are
pure and cheap: one short pattern each, run on agent messages and on short replies.
"""

from __future__ import annotations

import re

__all__ = ["ASKABLE", "asked_for", "bare_answer"]

ASKABLE: tuple[str, ...] = ("order", "account", "phone")
"""The fact kinds a question can ask for and a bare reply can answer."""

_ASK_RE = re.compile(
    r"(?i)(?<!\w)(?:"
    r"(?P<order>order|tracking|invoice|booking|reservation|confirmation|ticket|case|reference|ref"
    r"|parcel|shipment|rma|claim)"
    r"|(?P<account>account|acct|customer|membership|member|client|user)"
    r"|(?P<phone>phone|mobile|cell|cellphone|telephone|callback|contact))"
    r"[ \t-]*(?:number|num|no\b|nr\b|id\b|code|#)"
    r"|(?P<name>user[ \t-]?name|login)\b"
    r"|(?P<call>(?:call|reach|ring|text)[ \t]+you)\b"
)
_QUESTION_CHARS = 400
"""Longer agent messages are not one question; they are not read."""

_BARE_RE = re.compile(
    r"(?i)^[ \t]*(?:(?:it'?s|it[ \t]+is|sure|yes|yeah|yep|ok|okay|here[ \t]+it[ \t]+is|here|that'?s"
    r"|that[ \t]+is|this[ \t]+is|mine[ \t]+is)\b(?![.\-][A-Za-z0-9])[ \t]*[,:!.\-]*[ \t]*)*"
    r"[#@]?(?P<token>\+?[0-9][0-9() .\-]{5,22}[0-9]|[A-Za-z0-9][A-Za-z0-9._\-]{0,60}[A-Za-z0-9])"
    r"[ \t]*[.!]*[ \t]*(?:(?:thanks|thank[ \t]+you|thx|ty|cheers)[ \t]*[.!]*[ \t]*)?$"
)
_ANSWER_CHARS = 80
"""A reply longer than this is a message, not a bare answer."""


def asked_for(text: str) -> str | None:
    """The fact kind (one of :data:`ASKABLE`) an agent's question asks for, if it asks for one."""
    if "?" not in text or len(text) > _QUESTION_CHARS:
        return None
    match = _ASK_RE.search(text)
    if match is None:
        return None
    if match.group("order"):
        return "order"
    if match.group("account") or match.group("name"):
        return "account"
    return "phone"


def bare_answer(text: str) -> tuple[int, int] | None:
    """The span of the one value in ``text`` if the reply is nothing else ("it's 7916676427")."""
    if len(text) > _ANSWER_CHARS:
        return None
    match = _BARE_RE.match(text)
    return None if match is None else match.span("token")
