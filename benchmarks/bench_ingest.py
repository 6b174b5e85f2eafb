"""Throughput of the ingestion adapters: emails and webhook payloads parsed per second.

Run: ``python benchmarks/bench_ingest.py`` (``--quick`` for a smoke run).

Every fixture of ``tests/fixtures`` for a source is read once, then parsed round-robin
for about ``--seconds`` per source. Emails, WhatsApp, Messenger/Instagram and Zendesk
payloads are parsed from raw bytes, as a webhook handler or mail hook receives them
(JSON decoding is part of the cost); Twilio posts a form, which a web framework has
already decoded into a dict. ``records/s`` counts the Inbounds and delivery events made.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handoff.ingest import Parsed, email, meta, twilio, whatsapp, zendesk

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
RECEIVED = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


def _raw(source: str, pattern: str) -> list[bytes]:
    return [path.read_bytes() for path in sorted((FIXTURES / source).glob(pattern))]


def _forms(source: str) -> list[dict[str, str]]:
    return [json.loads(raw) for raw in _raw(source, "*.json")]


def _sources() -> list[tuple[str, Callable[[Any], Parsed], Sequence[Any]]]:
    """(name, parse, payloads) for each adapter measured."""
    return [
        ("email", lambda raw: email.parse(raw, received_at=RECEIVED), _raw("email", "*.eml")),
        ("twilio", lambda form: twilio.parse(form, received_at=RECEIVED), _forms("twilio")),
        ("whatsapp", whatsapp.parse, _raw("whatsapp", "*.json")),
        ("meta", meta.parse, _raw("meta", "*.json")),
        ("zendesk", zendesk.parse, _raw("zendesk", "*.json")),
    ]


def _measure(
    parse: Callable[[Any], Parsed], payloads: Sequence[Any], seconds: float
) -> tuple[int, int, float]:
    """Parse ``payloads`` round-robin for at least ``seconds``: (payloads, records, elapsed)."""
    for payload in payloads:  # warm-up: imports, regex compilation, caches
        parse(payload)
    done = records = 0
    began = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        for payload in payloads:
            parsed = parse(payload)
            records += len(parsed.inbounds) + len(parsed.events)
        done += len(payloads)
        elapsed = time.perf_counter() - began
    return done, records, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="0.1 s per source, for a smoke run")
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on each source (default 2)")
    args = parser.parse_args()
    seconds = 0.1 if args.quick else args.seconds
    print(f"{'source':10} {'fixtures':>8} {'payloads/s':>11} {'records/s':>10} {'µs/payload':>11}")
    for name, parse, payloads in _sources():
        done, records, elapsed = _measure(parse, payloads, seconds)
        print(
            f"{name:10} {len(payloads):>8} {done / elapsed:>11,.0f} {records / elapsed:>10,.0f} "
            f"{elapsed / done * 1e6:>11.1f}"
        )


if __name__ == "__main__":
    main()
