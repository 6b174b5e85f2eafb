"""``jsonl://``: a handoff store kept as JSON-lines files in a directory.

An example of a third-party storage backend. It shows the three things a plugin
needs: a :class:`~handoff.stores.Store` subclass (here also a
:class:`~handoff.stores.BulkImport`), a ``from_url`` classmethod, and an entry point in
the ``handoff.stores`` group (see this package's ``pyproject.toml``).

The records live in memory, in a :class:`~handoff.stores.MemoryStore` that already
enforces every rule of the storage contract (versions, unique external ids, atomic
changesets); this class makes it durable. Every write that the memory store accepts is
appended to ``log.jsonl`` as one line, and opening a directory replays that log. An
erasure rewrites the log from what remains, so the erased person's records leave the
disk too. One process at a time may open a directory.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from handoff.errors import HandoffError, StoreError, ValidationError
from handoff.models import Notification
from handoff.serde import from_dict, to_dict
from handoff.stores import BulkImport, Changeset, ContactRecords, MemoryStore

__all__ = ["JsonlStore"]
__version__ = "0.1.0"

LOG = "log.jsonl"
_URL_FORMS = "jsonl:///relative/dir or jsonl:////absolute/dir"


class JsonlStore(MemoryStore, BulkImport):
    """A directory holding ``log.jsonl``: every accepted write, one JSON object a line.

    ``durable=True`` (the default) flushes each line to the disk (``fsync``) before the
    write returns; ``False`` leaves that to the operating system, for tests and demos.
    """

    def __init__(self, directory: str | os.PathLike[str], *, durable: bool = True) -> None:
        super().__init__()
        if not isinstance(directory, (str, os.PathLike)) or not os.fspath(directory):
            raise ValidationError("directory", f"expected a directory path, got {directory!r}")
        if not isinstance(durable, bool):
            raise ValidationError("durable", f"expected true or false, got {durable!r}")
        self._directory = Path(directory)
        self._durable = durable
        self._write_lock = threading.Lock()  # log order is commit order
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
        with self._write_lock:
            log, self._log = self._log, None
            if log is not None:
                log.close()

    # -- writes: the memory store decides, then the log records -----------------------------
    def commit(self, changes: Changeset) -> None:
        with self._write_lock:
            self._open_log()
            super().commit(changes)
            self._append({"op": "commit", "changes": to_dict(changes)})

    def commit_many(self, changes: Sequence[Changeset]) -> None:
        with self._write_lock:
            self._open_log()
            super().commit_many(changes)
            self._append({"op": "batch", "changes": [to_dict(change) for change in changes]})

    def mark_notification(
        self, notification_id: str, status: str, at: datetime, *, provider_id: str | None = None
    ) -> Notification:
        with self._write_lock:
            self._open_log()
            try:
                before: Notification | None = self.get_notification(notification_id)
            except HandoffError:  # the memory store explains what is wrong
                before = None
            marked = super().mark_notification(notification_id, status, at, provider_id=provider_id)
            if marked != before:
                self._append({"op": "mark", "notification": to_dict(marked)})
            return marked

    def erase_contact(self, contact_id: str) -> None:
        with self._write_lock:
            self._open_log()
            super().erase_contact(contact_id)
            self._rewrite()

    # -- the log ---------------------------------------------------------------------------
    def _open_log(self) -> TextIO:
        if self._log is None:
            raise StoreError(f"the store in {str(self._directory)!r} is closed")
        return self._log

    def _append(self, entry: dict[str, Any]) -> None:
        """Record an accepted write. If the disk refuses, this handle stops: the write is
        in memory but not in the log, and reopening the directory gives the truth back."""
        log = self._open_log()
        try:
            log.write(json.dumps(entry, separators=(",", ":")) + "\n")
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
        """Replace the log with the records that remain, one line per contact."""
        path = self._directory / LOG
        fresh = path.with_suffix(".jsonl.tmp")
        try:
            with open(fresh, "w", encoding="utf-8") as out:
                for contact_id in sorted(self._contacts):
                    records = to_dict(self.contact_records(contact_id))
                    out.write(json.dumps({"op": "records", "records": records}) + "\n")
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
        """Apply every logged write again; a last line cut short by a crash is dropped."""
        if not path.exists():
            return
        with open(path, "rb+") as log:
            data = log.read()
            complete = data.rfind(b"\n") + 1
            if complete < len(data):  # a torn final line: that write never returned
                log.truncate(complete)
        for number, line in enumerate(data[:complete].splitlines(), start=1):
            try:
                self._apply_entry(json.loads(line.decode("utf-8")))
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"{path}:{number}: not a log entry this store wrote ({exc})") from exc

    def _apply_entry(self, entry: dict[str, Any]) -> None:
        op = entry["op"]
        if op == "commit":
            super().commit(from_dict(Changeset, entry["changes"]))
        elif op == "batch":
            super().commit_many([from_dict(Changeset, change) for change in entry["changes"]])
        elif op == "mark":
            self._put_marked(from_dict(Notification, entry["notification"]))
        elif op == "records":
            self._put_records(from_dict(ContactRecords, entry["records"]))
        else:
            raise ValueError(f"unknown op {op!r}")

    def _put_marked(self, notification: Notification) -> None:
        super().mark_notification(
            notification.id,
            notification.status,
            notification.sent_at or notification.created_at,
            provider_id=notification.provider_id,
        )

    def _put_records(self, records: ContactRecords) -> None:
        """One contact as a compacted log holds it: the contact, then each journey and its records."""
        contact = records.contact
        if not records.journeys:
            super().commit(Changeset(contact=contact))
        for i, journey in enumerate(records.journeys):
            super().commit(
                Changeset(
                    contact=contact if i == 0 else None,
                    journey=journey,
                    interactions=[i for i in records.interactions if i.journey_id == journey.id],
                    handoffs=[h for h in records.handoffs if h.journey_id == journey.id],
                    notifications=[x for x in records.notifications if x.journey_id == journey.id],
                    decisions=[d for d in records.decisions if d.journey_id == journey.id],
                )
            )


def _sync_directory(directory: Path) -> None:
    """Make a rename durable: the directory entry is on the disk too (POSIX)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
