"""MkDocs hooks: the policy reference rendered from the code, and docstring roles made readable.

The reference is written by :func:`handoff.policy.reference.policy_reference` from the same
registries the policy loader checks against, so the page cannot drift from the code.
Docstrings name objects with Sphinx roles (``:class:`~handoff.Inbound```); the API pages
show them as plain code, the last component only when the role asks for it with ``~``.
"""

from __future__ import annotations

import re
from typing import Any

from handoff.policy.reference import policy_reference

MARKER = "<!-- policy-reference -->"
_ROLE = re.compile(r":(?:class|meth|func|mod|data|attr|exc|obj):<code>(~?)([^<]*)</code>")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, policy_reference(heading_level=2))


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return _ROLE.sub(_plain, html)


def _plain(match: re.Match[str]) -> str:
    shorten, name = match.groups()
    return f"<code>{name.rsplit('.', 1)[-1] if shorten else name}</code>"
