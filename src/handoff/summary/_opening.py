"""What a voice agent says first: the receiving agent's checklist as words to say.

On a call the agent talks while reading. The opening greets the customer by name, shows
the history was read, asks them to confirm who they are (without reading their details
out), restates the issue in one sentence from the agent's side, acknowledges the
channels they already used, says what happens next and reminds the agent to ask for
feedback at the end. Pure: it words what the summary already holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from handoff.models import CardIdentity

__all__ = ["spoken_opening"]

_ASK_FOR = {"email": "the email address on your account", "phone": "the phone number on your account"}
# The customer's words, said back by the agent: "my order" -> "your order", "you sent" -> "we sent".
_SWAP = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "your": "our",
    "yours": "ours",
    "you're": "we're",
    "you've": "we've",
    "you'll": "we'll",
}
_AFTER_I = {"am": "are", "was": "were"}
# "you" is the company speaking when it leads a clause ("you sent", "can you"), else its object.
_SUBJECT_AFTER = frozenset(
    (
        *("can", "could", "will", "would", "did", "do", "does", "have", "why", "when", "if", "and"),
        *("but", "that", "please", "so", "where", "how", "what", "since", "because", "then", "or"),
        "until",
    )
)
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
_OPENING_CHARS = 160
"""The issue as said back is one sentence: longer ones are cut at a word."""


def spoken_opening(
    *,
    name: str | None,
    reference: str,
    issue: str,
    identities: Sequence[CardIdentity],
    channels_told: int,
    came_from: str | None,
) -> tuple[str, ...]:
    """The opening lines for a voice agent, in the order they are said."""
    first = name.split()[0] if name and name.split() else ""
    lines = [
        f"Hello{' ' + first if first else ''}, thank you for waiting — I have your case {reference} "
        "and everything you told us in front of me."
    ]
    lines.append(_confirm(identities))
    if issue:
        lines.append(f"I understand this is about: {_said_back(issue)}.")
    lines.append(
        f"I'm sorry you have had to explain this on {channels_told} channels — you won't need to repeat it."
        if channels_told > 1
        else "I'm sorry for the trouble — you won't need to repeat anything you told us."
    )
    if came_from:
        lines.append(f"We've moved from {came_from} to this call so we can sort it out together.")
    lines.append(
        "Here is what happens next: I'll go through it with you now and tell you what we'll do and by when."
    )
    lines.append("When it's resolved: did that fix it for you, and how did we do today?")
    return tuple(lines)


def _confirm(identities: Sequence[CardIdentity]) -> str:
    """Ask the customer to say the detail; an agent never reads it out to whoever answered."""
    if not identities:
        return "Before we go on, may I have your full name and an email address or phone number?"
    unconfirmed = [i.identity.partition(":")[0] for i in identities if not i.confirmed]
    if not unconfirmed:
        return "Before we go on, can you confirm your full name for me?"
    wanted = list(dict.fromkeys(_ASK_FOR.get(kind, f"your {kind} username") for kind in unconfirmed))
    return f"Before we go on, can you confirm {' and '.join(wanted[:2])}?"


def _said_back(issue: str) -> str:
    """``issue`` in the agent's mouth: first and second person swapped, one sentence."""
    out: list[str] = []
    last, previous = 0, ""
    for match in _TOKEN_RE.finditer(issue):
        word = match.group()
        key = word.lower().replace("\u2019", "'")
        if key == "you":
            swapped = "we" if not previous or previous in _SUBJECT_AFTER else "us"
        elif previous == "i" and key in _AFTER_I:
            swapped = _AFTER_I[key]
        else:
            swapped = _SWAP.get(key, word)
        out.append(issue[last : match.start()])
        out.append(swapped)
        last, previous = match.end(), key
    out.append(issue[last:])
    said = "".join(out).strip().rstrip(".!?…;:, ")
    if len(said) > _OPENING_CHARS:
        cut = said[: _OPENING_CHARS - 1]
        said = cut[: cut.rfind(" ")] if " " in cut else cut
        said = said.rstrip(".,;: ") + "…"
    head = said.split(" ", 1)[0]
    return said[:1].lower() + said[1:] if head.lower() in _SPOKEN_LEADS else said


_SPOKEN_LEADS = frozenset(("you", "your", "we", "our", "you're", "you've", "you'd", "you'll", "we're"))
