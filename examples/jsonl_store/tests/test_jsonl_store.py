"""The whole storage conformance kit, and what only this backend promises."""

from __future__ import annotations

from pathlib import Path

import pytest
from handoff_jsonl_store import LOG, JsonlStore

from handoff.errors import StoreError, ValidationError
from handoff.stores import Changeset
from handoff.testing import StoreConformance
from handoff.testing.factories import append_changeset, make_contact, make_journey


class TestJsonlStore(StoreConformance):
    def make_store(self, directory: Path) -> JsonlStore:
        return JsonlStore(directory / "data", durable=False)


def test_a_reopened_directory_holds_what_was_committed(tmp_path: Path) -> None:
    contact = make_contact()
    journey = make_journey(contact)
    change = append_changeset(journey)
    with JsonlStore(tmp_path) as store:
        store.commit(Changeset(contact=contact, journey=journey))
        store.commit(change)
    with JsonlStore(tmp_path) as again:
        assert again.get_journey(journey.id) == change.journey
        assert again.interactions(journey.id) == list(change.interactions)


def test_an_erasure_leaves_nothing_in_the_log(tmp_path: Path) -> None:
    kept, gone = make_contact(), make_contact()
    with JsonlStore(tmp_path) as store:
        for contact in (kept, gone):
            store.commit(Changeset(contact=contact, journey=make_journey(contact)))
        store.erase_contact(gone.id)
    text = (tmp_path / LOG).read_text(encoding="utf-8")
    assert gone.id not in text and kept.id in text
    with JsonlStore(tmp_path) as again:
        assert again.get_contact(kept.id) == kept


def test_a_line_cut_short_by_a_crash_is_dropped(tmp_path: Path) -> None:
    contact = make_contact()
    with JsonlStore(tmp_path) as store:
        store.commit(Changeset(contact=contact))
    with open(tmp_path / LOG, "a", encoding="utf-8") as log:
        log.write('{"op": "commit", "chan')
    with JsonlStore(tmp_path) as again:
        assert again.get_contact(contact.id) == contact
    assert (tmp_path / LOG).read_text(encoding="utf-8").endswith("\n")


@pytest.mark.parametrize("damage", [b'{"op": "nonsense"}\n', b"\xff\xfe not text\n"])
def test_a_damaged_log_is_refused(tmp_path: Path, damage: bytes) -> None:
    (tmp_path / LOG).write_bytes(damage)
    with pytest.raises(StoreError, match=f"{LOG}:1"):
        JsonlStore(tmp_path)


@pytest.mark.parametrize(
    "url", ["jsonl://", "jsonl:///", "jsonl:relative", "sqlite:///x", 42, None, b"jsonl:///x"]
)
def test_bad_urls_are_refused(url: object) -> None:
    with pytest.raises(ValidationError) as caught:
        JsonlStore.from_url(url)  # type: ignore[arg-type]
    assert caught.value.field == "url"


def test_any_text_survives_the_log(tmp_path: Path) -> None:
    contact = make_contact()
    journey = make_journey(contact)
    change = append_changeset(journey, body='Ça marche ✓ 日本 \u2028 \\u0000 "quoted"')
    with JsonlStore(tmp_path) as store:
        store.commit(Changeset(contact=contact, journey=journey))
        store.commit(change)
    with JsonlStore(tmp_path) as again:
        assert again.interactions(journey.id) == list(change.interactions)
