"""The README's quick start, as a script: one customer from Twitter to live chat."""

from __future__ import annotations

from datetime import datetime, timezone

from handoff import Inbound, Switchboard


def main() -> None:
    board = Switchboard.open("memory://")  # or "sqlite:///support.db"
    now = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)

    first = board.receive(
        Inbound(
            channel="twitter",
            identity="twitter:@ana_k",
            name="Ana K",
            body="My order A-1042 never arrived",
            at=now,
            external_id="tw-981",
        )
    )
    ref = first.journey.reference  # e.g. "J-7F3K9", safe to quote to the customer

    moved = board.receive(
        Inbound(
            channel="chat",
            identity="email:ana@example.com",
            journey_ref=ref,
            body="Hi, moving here from Twitter",
            at=now,
        )
    )
    assert moved.handoff is not None
    print(moved.handoff.summary.render("text"))  # the chat agent already knows about A-1042
    for note in moved.notifications:  # what to tell Ana, and why
        print(note.channel, note.body, "|", note.rule, note.reason)


if __name__ == "__main__":
    main()
