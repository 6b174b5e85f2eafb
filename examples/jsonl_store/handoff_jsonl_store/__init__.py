"""``jsonl://``: a handoff store kept as a JSON-lines file in a directory.

An example of a third-party storage backend, written from the public contract alone:

* a :class:`~handoff.stores.Store` subclass that writes the ten primitives
  (:data:`handoff.stores.PRIMITIVES`) and inherits every other look-up;
* :mod:`handoff.stores.rules` for the checks every backend makes the same way
  (changesets, the notification state machine, argument checks);
* the optional :class:`~handoff.stores.BulkImport` capability;
* a ``from_url`` classmethod and an entry point in the ``handoff.stores`` group (see this
  package's ``pyproject.toml``).

The records live in memory (:class:`~handoff_jsonl_store._state.State`). Every accepted
write is appended to ``log.jsonl`` as one line, the records it stores, and opening a
directory replays the log. An erasure rewrites the log from what remains, so the erased
person's records leave the disk too. One process at a time may open a directory.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from handoff.errors import NotFound, StoreError, ValidationError
from handoff.identity import Identity
from handoff.models import Contact, DecisionRecord, Handoff, Interaction, Journey, Notification
from handoff.serde import from_dict, to_dict
from handoff.stores import BulkImport, Changeset, Store, rules
from handoff_jsonl_store._state import Record, State, changed_records

__all__ = ["LOG", "JsonlStore"]
__version__ = "0.2.0"

LOG = "log.jsonl"
_URL_FORMS = "jsonl:///relative/dir or jsonl:////absolute/dir"
_KINDS: dict[str, type[Record]] = {
    "contact": Contact,
    "journey": Journey,
    "interaction": Interaction,
    "handoff": Handoff,
    "notification": Notification,
    "decision": DecisionRecord,
}
_NAMES = {kind: name for name, kind in _KINDS.items()}


class JsonlStore(Store, BulkImport):
    """A directory holding ``log.jsonl``: every accepted write, one JSON object a line.

    ``durable=True`` (the default) flushes each line to the disk (``fsync``) before the
    write returns; ``False`` leaves that to the operating system, for tests and demos.
    """

    def __init__(self, directory: str | os.PathLike[str], *, durable: bool = True) -> None:
        if not isinstance(directory, (str, os.PathLike)) or not os.fspath(directory):
            raise ValidationError("directory", f"expected a directory path, got {directory!r}")
        if not isinstance(durable, bool):
            raise ValidationError("durable", f"expected true or false, got {durable!r}")
        self._directory = Path(directory)
        self._durable = durable
        self._lock = threading.RLock()  # one writer or reader at a time; log order is commit order
        self._state = State()
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            self._replay(self._directory / LOG)
            self._log: TextIO | None = open(self._directory / LOG, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise StoreError(f"cannot open the store in {str(self._directory)!r}: {exc}") from exc

    @classmethod
    def from_url(cls, url: str) -> JsonlStore:
        """``jsonl:///relative/dir`` or ``jsonl:////absolute/dir``, like ``sqlite://`` URLs."""
        if not isinstance(url, str):  # refused like open_store refuses it, naming the field
            raise ValidationError("url", f"expected {_URL_FORMS}, got {type(url).__name__}")
        rest = url[len("jsonl://") :] if url.startswith("jsonl://") else ""
        if not rest.startswith("/") or rest == "/":
            raise ValidationError("url", f"expected {_URL_FORMS}, got {url!r}")
        return cls(rest[1:])

    @property
    def directory(self) -> Path:
        return self._directory

    def __repr__(self) -> str:
        return f"JsonlStore({str(self._directory)!r})"

    def close(self) -> None:
        with self._lock:
            log, self._log = self._log, None
            if log is not None:
                log.close()

    # -- primitives: writes --------------------------------------------------------------
    def commit(self, changes: Changeset) -> None:
        changes = rules.check_changeset(changes)
        with self._lock:
            self._open_log()
            self._state.check(changes)
            records = changed_records(changes, self._state)
            self._append(records)  # logged first: a write the disk refuses is not made
            for record in records:
                self._state.put(record)

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        batch = rules.check_batch(changes)
        with self._lock:
            self._open_log()
            trial = self._state.clone()  # each changeset is checked against those before it
            records: list[Record] = []
            for change in batch:
                trial.check(change)
                for record in changed_records(change, trial):
                    trial.put(record)
                    records.append(record)
            self._append(records)  # one line: the whole batch or nothing
            self._state = trial

    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        notification_id, status, at, provider_id = rules.check_mark(notification_id, status, at, provider_id)
        with self._lock:
            self._open_log()
            current = self._state.notices.get(notification_id)
            if current is None:
                raise NotFound("notification", notification_id)
            updated = rules.marked(current, status, at, provider_id)
            if updated != current:
                self._state.check_provider(updated)
                self._append([updated])
                self._state.put(updated)
            return updated

    def erase_contact(self, contact_id: str) -> None:
        rules.check_text(contact_id, "contact_id")
        with self._lock:
            self._open_log()
            if contact_id not in self._state.contacts:
                raise NotFound("contact", contact_id)
            self._state.erase(contact_id)
            self._rewrite()

    # -- primitives: reads ---------------------------------------------------------------
    def get_contact(self, contact_id: str) -> Contact:
        rules.check_text(contact_id, "contact_id")
        with self._lock:
            found = self._state.contacts.get(contact_id)
        if found is None:
            raise NotFound("contact", contact_id)
        return found

    def find_contact(self, identity: Identity) -> Contact | None:
        rules.check_identity(identity)
        with self._lock:
            owner = self._state.owners.get(identity)
            return None if owner is None else self._state.contacts[owner]

    def all_journeys(self) -> Iterator[Journey]:
        with self._lock:
            journeys = sorted(self._state.journeys.values(), key=lambda j: j.opened_at)
        return iter(journeys)

    def interactions(self, journey_id: str, *, last: int | None = None) -> list[Interaction]:
        rules.check_text(journey_id, "journey_id")
        last = rules.check_last(last)
        with self._lock:
            timeline = list(self._state.interactions.get(journey_id, ()))
        if last is None:
            return timeline
        return timeline[-last:] if last else []

    def handoffs(self, journey_id: str) -> list[Handoff]:
        return self._of(self._state.handoffs, journey_id)

    def notifications(self, journey_id: str) -> list[Notification]:
        return self._of(self._state.notifications, journey_id)

    def decisions(self, journey_id: str) -> list[DecisionRecord]:
        return self._of(self._state.decisions, journey_id)

    def _of(self, lists: dict[str, list[Any]], journey_id: str) -> list[Any]:
        rules.check_text(journey_id, "journey_id")
        with self._lock:
            return list(lists.get(journey_id, ()))

    # -- two derived look-ups overridden: the state has an index for them -------------------
    def get_journey(self, journey_id: str) -> Journey:
        rules.check_text(journey_id, "journey_id")
        with self._lock:
            found = self._state.journeys.get(journey_id)
        if found is None:
            raise NotFound("journey", journey_id)
        return found

    def get_notification(self, notification_id: str) -> Notification:
        rules.check_text(notification_id, "notification_id")
        with self._lock:
            found = self._state.notices.get(notification_id)
        if found is None:
            raise NotFound("notification", notification_id)
        return found

    # -- the log ---------------------------------------------------------------------------
    def _open_log(self) -> TextIO:
        if self._log is None:
            raise StoreError(f"the store in {str(self._directory)!r} is closed")
        return self._log

    def _append(self, records: Sequence[Record]) -> None:
        """Log the records of one accepted write as one line. If the disk refuses, this
        handle stops and the write is not made; reopening the directory gives the truth back."""
        log = self._open_log()
        try:
            log.write(_line(records))
            log.flush()
            if self._durable:
                os.fsync(log.fileno())
        except (OSError, ValueError) as exc:
            self._log = None
            raise StoreError(
                f"the write could not be logged in {str(self._directory)!r} ({exc}); "
                "the store is closed, reopen it"
            ) from exc

    def _rewrite(self) -> None:
        """Replace the log with one line holding the records that remain."""
        path = self._directory / LOG
        fresh = path.with_suffix(".jsonl.tmp")
        try:
            with open(fresh, "w", encoding="utf-8") as out:
                records = self._state.records()
                if records:
                    out.write(_line(records))
                out.flush()
                os.fsync(out.fileno())
            self._open_log().close()
            os.replace(fresh, path)
            if self._durable:
                _sync_directory(self._directory)
            self._log = open(path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            self._log = None
            raise StoreError(
                f"the erasure is done in memory but the log in {str(self._directory)!r} could not be "
                f"rewritten ({exc}); the store is closed, reopen it and erase again"
            ) from exc

    def _replay(self, path: Path) -> None:
        """Put every logged record again; a last line cut short by a crash is dropped."""
        if not path.exists():
            return
        with open(path, "rb+") as log:
            data = log.read()
            complete = data.rfind(b"\n") + 1
            if complete < len(data):  # a torn final line: that write never returned
                log.truncate(complete)
        for number, line in enumerate(data[:complete].splitlines(), start=1):
            try:
                entries = json.loads(line.decode("utf-8"))["put"]
                records = [from_dict(_KINDS[entry["kind"]], entry["record"]) for entry in entries]
            except (ValueError, KeyError, TypeError, ValidationError) as exc:
                raise StoreError(f"{path}:{number}: not a log entry this store wrote ({exc})") from exc
            for record in records:
                self._state.put(record)


def _line(records: Sequence[Record]) -> str:
    entries = [{"kind": _NAMES[type(record)], "record": to_dict(record)} for record in records]
    return json.dumps({"put": entries}, separators=(",", ":")) + "\n"


def _sync_directory(directory: Path) -> None:
    """Make a rename durable: the directory entry is on the disk too (POSIX)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
