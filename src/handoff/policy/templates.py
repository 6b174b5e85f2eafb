"""The texts of notifications: named templates filled from a decision's values.

Templates are plain ``str.format`` strings with named fields, so a team can change
wording (or translate it) in a policy file without touching code.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from handoff.errors import ValidationError

__all__ = ["DEFAULT_TEMPLATES", "fields_of", "fill"]

DEFAULT_TEMPLATES: Mapping[str, str] = {
    "channel_move": (
        "Hi {first_name}, we have your conversation from {from_label} here, so there is no need "
        "to repeat yourself. Your reference is {reference}."
    ),
    "transfer_phone": (
        "Hi {first_name}, {to_agent_phrase} will call you at {phone} within {within}. "
        "Your history comes along, and your reference is {reference}."
    ),
    "transfer": (
        "Hi {first_name}, we are moving your conversation to {to_label}; {to_agent_phrase} will "
        "continue there with your full history. Your reference is {reference}."
    ),
    "update": "Hi {first_name}, there is a new reply about {reference}: {excerpt}",
    "survey": (
        "Hi {first_name}, your request {reference} is resolved. How satisfied were you with our "
        "help, from 1 (not at all) to 5 (very)?"
    ),
    "survey_nps": (
        "Hi {first_name}, how likely are you to recommend us to a friend, from 0 (not at all) "
        "to 10 (extremely)? Your reference is {reference}."
    ),
    "survey_ces": (
        "Hi {first_name}, how easy was it to get your request {reference} solved, from 1 (very "
        "hard) to 7 (very easy)?"
    ),
    "callback_confirmation": (
        "Hi {first_name}, your callback is booked for {slot}: we will call you on {phone}. "
        "Your reference is {reference}."
    ),
    "callback_reminder": "Hi {first_name}, a reminder: we will call you on {phone} at {slot} ({reference}).",
    "callback_missed": (
        "Hi {first_name}, we called about {reference} but could not reach you. Reply here to "
        "continue in writing, or we can call you again at {next_slot}."
    ),
    "public_reply": (
        "Thanks for reaching out. To protect your privacy, please send us a direct message and "
        "we will continue there. Please do not share personal details in public."
    ),
}


def fields_of(template: str) -> frozenset[str]:
    """The named fields a template uses; a malformed template is a ValidationError."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValidationError("template", f"malformed template: {exc}") from None
    names = set()
    for _literal, name, _spec, _conv in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise ValidationError("template", f"fields must be plain names, got {{{name}}}")
        names.add(name)
    return frozenset(names)


def fill(template: str, values: Mapping[str, str]) -> str:
    """Fill a template; a field without a value is left visible rather than failing."""
    return template.format_map(_Lenient(values))


class _Lenient(dict[str, str]):
    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
