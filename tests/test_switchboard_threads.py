"""Several threads driving one Switchboard: nothing lost, nothing stored twice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from handoff import Inbound, Switchboard
from tests.pgserver import BACKENDS, backend_url

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["memory", "sqlite", *BACKENDS])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Switchboard]:
    if request.param in BACKENDS:
        url = backend_url(request, request.param)
    else:
        url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 't.db'}"
    with Switchboard.open(url, max_retries=50) as opened:
        yield opened


def run_threads(count: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def target(n: int) -> None:
        start.wait()
        try:
            work(n)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_parallel_messages_from_one_new_customer_form_one_journey(board: Switchboard) -> None:
    per_thread = 25

    def work(n: int) -> None:
        for i in range(per_thread):
            board.receive(
                Inbound(
                    channel="sms" if i % 3 else "whatsapp",
                    identity="phone:+14155550177",
                    body=f"thread {n} message {i}",
                    at=T0 + timedelta(seconds=i),
                    external_id=f"{n}-{i}",
                )
            )

    run_threads(4, work)
    contact = board.find_contact("phone:+14155550177")
    assert contact is not None
    (journey,) = board.journeys(contact.id)
    history = board.history(journey.id)
    assert len(history) == 4 * per_thread == journey.version
    assert sorted(i.sequence for i in history) == list(range(1, journey.version + 1))
    assert len({i.external_id for i in history}) == len(history)


def test_redelivery_storm_stores_each_message_once(board: Switchboard) -> None:
    messages = [
        Inbound(
            channel="email",
            identity=f"email:c{k % 5}@example.com",
            body=f"m{k}",
            at=T0,
            external_id=f"<{k}@x>",
        )
        for k in range(40)
    ]

    def work(n: int) -> None:
        for inbound in messages if n % 2 == 0 else list(reversed(messages)):
            board.receive(inbound)

    run_threads(4, work)
    stored = [
        i
        for c in range(5)
        for j in board.journeys(board.find_contact(f"email:c{c}@example.com").id)  # type: ignore[union-attr]
        for i in board.history(j.id)
    ]
    assert sorted(i.external_id or "" for i in stored) == sorted(m.external_id or "" for m in messages)
