"""Which customer message states the problem: a greeting is not an issue.

Customers often open with "hi", "HEY HO!" or "can someone help me?" and say what is
wrong in the next message. The journey's subject and a summary's issue line should be
that next message. Pure and cheap: it runs on customer messages while a journey's
subject is still small talk, and on the few lines a summary reads.
"""

from __future__ import annotations

import re

__all__ = ["is_small_talk", "issue_line"]

_GREETINGS = frozenset(
    (
        *("hi", "hii", "hiya", "hey", "heya", "heyy", "ho", "hello", "helo", "hallo", "hullo", "howdy"),
        *("yo", "greetings", "morning", "afternoon", "evening", "good", "gday", "dear", "bonjour"),
        *("salut", "hola", "buenas", "ciao", "hej", "moin", "servus", "ola", "olá", "namaste"),
    )
)
# Words that say nothing yet about what is wrong: pleasantries, fillers, and the ways of
# asking for help or a person before saying why.
_FILLER = frozenset(
    (
        *("there", "all", "team", "support", "guys", "folks", "everyone", "everybody", "anyone"),
        *("anybody", "someone", "somebody", "sir", "madam", "thanks", "thank", "thx", "ty", "cheers"),
        *("ok", "okay", "k", "kk", "yes", "yeah", "yep", "yup", "no", "nope", "sure", "please", "pls"),
        *("plz", "hm", "hmm", "um", "uh", "ah", "oh", "lol", "haha", "again", "still", "here", "you"),
        *("i", "im", "i'm", "me", "a", "an", "the", "is", "are", "am", "can", "could", "would", "will"),
        *("need", "have", "got", "some", "quick", "question", "help", "talk", "speak", "chat", "to"),
        *("with", "agent", "human", "person", "real", "representative", "rep", "operator", "it", "its"),
        *("it's", "this", "that", "for", "and", "so", "just", "now", "hope", "well", "doing", "how"),
        *("waiting", "wait", "online", "available", "ping", "up", "day", "us", "hours"),
        *("go", "ahead", "reply", "response", "answer", "back", "anything", "news", "update"),
        *("wondering", "if", "do", "does", "there's", "something", "about", "my", "your", "thing"),
    )
)
_QUIET = _GREETINGS | _FILLER
_DIGIT_RE = re.compile(r"[0-9]")
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_OPENERS = "|".join(sorted(_GREETINGS - {"good"}, key=len, reverse=True))
_LEADING_GREETING_RE = re.compile(
    rf"(?i)^\s*(?:(?:{_OPENERS}|good\s+(?:morning|afternoon|evening|day))\b[\s!,.:;~-]*)+"
    r"(?:(?:there|all|team|support|guys|folks|everyone)\b[\s!,.:;~-]*)*"
)
_SMALL_TALK_CHARS = 120
"""Longer than this, a message says something, whatever words it opens with."""


def is_small_talk(text: str) -> bool:
    """Whether ``text`` says nothing about the problem: a greeting, thanks, "can someone
    help me?". A message with a digit in it (an order, an amount) is never small talk."""
    if len(text) > _SMALL_TALK_CHARS or _DIGIT_RE.search(text):
        return False
    content, first, count = 0, "", 0
    for match in _WORD_RE.finditer(text.lower().replace("\u2019", "'")):
        word = match.group()
        first, count = first or word, count + 1
        if word not in _QUIET:
            content += 1
            if content > 1:
                return False
    # Nothing said, or a greeting and a name ("Hi Ana", "hello acme").
    return not content or (first in _GREETINGS and count <= 3)


def issue_line(text: str) -> str:
    """``text`` on one line without the greeting it opens with ("Hi! My order..." -> "My order...")."""
    line = " ".join(text.split())
    if is_small_talk(line):
        return line
    rest = _LEADING_GREETING_RE.sub("", line, count=1)
    if not rest or rest == line:
        return line
    return rest[0].upper() + rest[1:]
