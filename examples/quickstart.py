"""The README's quick start, as a script: one customer from Twitter to live chat.

It prints what the README shows: a fixed clock and seeded ids make every run the same.
In an application leave both out, and the switchboard reads the real time.
"""

from __future__ import annotations

from datetime import datetime, timezone

from handoff import FixedClock, Inbound, SeededIds, Switchboard


def main() -> None:
    clock = FixedClock(datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc))
    board = Switchboard.open("memory://", clock=clock, ids=SeededIds(1))  # or "sqlite:///support.db"

    first = board.receive(
        Inbound(
            channel="twitter",
            identity="twitter:@ana_k",
            name="Ana K",
            body="My order A-1042 never arrived",
            at=clock.now(),
            external_id="tw-981",
        )
    )
    ref = first.journey.reference  # safe to quote to the customer
    print(ref)

    clock.advance(minutes=5)
    moved = board.receive(
        Inbound(
            channel="chat",
            identity="email:ana@example.com",
            journey_ref=ref,
            body="Hi, moving here from Twitter",
            at=clock.now(),
        )
    )
    assert moved.handoff is not None
    print(moved.handoff.summary.render("text"))  # the chat agent already knows about A-1042
    for note in moved.notifications:  # what to tell Ana, and why
        print(note.channel, "|", note.body, "|", note.rule)


if __name__ == "__main__":
    main()
