"""An independent Luhn and text strategies, to build and to check card numbers in tests."""

from __future__ import annotations

import re

from hypothesis import strategies as st


def luhn_sum(digits: str) -> int:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total


def with_check_digit(body: str) -> str:
    return body + str((10 - luhn_sum(body + "0") % 10) % 10)


def luhn_windows(text: str) -> list[str]:
    """Every run of whole digit groups that is a valid card: between two groups, one to six
    spaces, tabs, line breaks, dots, dashes, slashes or bars (table cells)."""
    found = []
    for run in re.finditer(r"[0-9]+(?:[ \t\n\r\u2028\u2029.\-/|]{1,6}[0-9]+)*", text):
        groups = re.findall(r"[0-9]+", run.group())
        for i in range(len(groups)):
            for j in range(i, len(groups)):
                digits = "".join(groups[i : j + 1])
                if 13 <= len(digits) <= 19 and luhn_sum(digits) % 10 == 0:
                    found.append(digits)
    return found


card_numbers = st.integers(12, 18).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n).map(with_check_digit)
)


@st.composite
def written_cards(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, as written): grouped by fours with spaces or dashes, or not grouped at all."""
    digits = draw(card_numbers)
    sep = draw(st.sampled_from(["", " ", "-"]))
    return digits, sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


tricky = st.lists(
    st.sampled_from(
        [
            *"0123456789 -•.+()@#/,:*$€\n",
            *("St", "Street", "12 rue de la ", "order ", "call ", "+1", "00", "•••• •••• •••• "),
            *("ana@example.com", "J-", "straße ", "Calle ", "March ", "EUR", "4242"),
        ]
    ),
    max_size=40,
).map("".join)
any_text = st.one_of(st.text(max_size=120), tricky)
