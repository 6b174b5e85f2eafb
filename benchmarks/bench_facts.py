"""Cost of ``extract_facts`` per customer message: it runs on every inbound, import and metric.

Run: ``python benchmarks/bench_facts.py`` (``--quick`` for a smoke run).

A mix of typical support messages (short replies, questions, messages with order
numbers, amounts, dates, emails, phone numbers, a card, a longer email, text in other
languages) is extracted many times; the report gives µs per message for the whole mix,
for the messages without any digit and for those with one. Times are the thread's CPU
time, so other work on a shared machine does not inflate them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timezone

from handoff.facts import extract_facts

AT = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)

MESSAGES: tuple[str, ...] = (
    "Hi, my order A-1042 never arrived. Can you check?",
    "still waiting for a reply",
    "thanks!",
    "ok",
    "Yes please go ahead",
    "Hello, I was charged twice for my subscription this month. Please refund one of the payments.",
    "I can't log in to my account, the reset link doesn't work",
    "Hi there! Just wondering when my refund will be processed. It's been two weeks now.",
    "The app keeps crashing when I open the settings page on my phone",
    "Why is this taking so long? This is the third time I write about J-7F3K9",
    "My email is ana.k@example.com, please send the invoice there",
    "call me at +1 (415) 555-0100 tomorrow after 3pm",
    "It was $49.99 on 2025-03-12, order #55512",
    "The package tracking 1Z999AA10123456784 says delivered but nothing is here",
    "Can I change the delivery address to 221B Baker Street?",
    "I paid 49,99 € on 12.03.2025 and got nothing",
    "my card 4242 4242 4242 4242 was charged, ref INV-2024-0042",
    "follow-up 12: still waiting for A-1042, I paid $89.90",
    "could you call me back on 07700 900123?",
    "On March 12 I returned the item (RMA 884412) but no credit yet",
    "Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous vérifier ?",
    "Hallo, ich warte seit drei Tagen auf eine Antwort. Danke!",
    "2 questions: can I pay in 3 installments, and is there a student discount?",
    (
        "Dear support team,\n\nI am writing again about my booking from last week. The hotel "
        "said the reservation was cancelled, but I was still charged. I attached the receipt "
        "to my previous email. Could you please look into it and let me know what happens "
        "next? I would prefer an answer by email rather than a phone call.\n\nKind regards,\nAna"
    ),
)


def _per_message(messages: tuple[str, ...], repeat: int) -> float:
    """The median over ``repeat`` rounds of the mean µs per message in one round."""
    rounds = []
    for _ in range(repeat):
        began = time.thread_time_ns()
        for text in messages:
            extract_facts(text, channel="chat", at=AT, interaction_id="ix_1")
        rounds.append((time.thread_time_ns() - began) / len(messages))
    return statistics.median(rounds) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with few samples")
    repeat = 20 if parser.parse_args().quick else 1000
    plain = tuple(m for m in MESSAGES if not any(c.isdigit() for c in m))
    digits = tuple(m for m in MESSAGES if any(c.isdigit() for c in m))
    print(f"{'messages':<24} {'count':>5} {'µs/message':>11}")
    for name, group in (("all", MESSAGES), ("without a digit", plain), ("with a digit", digits)):
        print(f"{name:<24} {len(group):>5} {_per_message(group, repeat):>11.1f}")


if __name__ == "__main__":
    main()
