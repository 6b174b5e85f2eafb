"""What an agent should read for each kind of WhatsApp message content.

Text is text; everything else (media, locations, shared contacts, button and list
replies, orders, unsupported types) becomes a short bracketed description such as
``[document: invoice.pdf] caption``, with the details worth keeping as metadata.
"""

from __future__ import annotations

from collections.abc import Callable

from handoff.errors import IngestError
from handoff.ingest._payload import (
    JsonObject,
    as_list,
    as_object,
    clip,
    compact,
    flag,
    kind_of,
    opt_count,
    opt_ident,
    opt_list,
    opt_object,
    opt_text,
    text,
)

__all__ = ["render"]


def render(obj: JsonObject, path: str) -> tuple[str, dict[str, str]]:
    """The text an agent should see for a message's content, and what else is worth keeping."""
    wa_type = text(obj, "type", path)
    label = clip(wa_type, 40)
    if wa_type == "contacts":
        return _shared_contacts(opt_list(obj, "contacts", path), f"{path}.contacts"), {"wa_type": "contacts"}
    render = _RENDERERS.get(wa_type)
    payload = opt_object(obj, wa_type, path) if render is not None else None
    if render is None or payload is None:
        body = "[unsupported message]" if wa_type == "unsupported" else f"[{label} message]"
        return body, {"wa_type": label}
    body, metadata = render(payload, f"{path}.{wa_type}", wa_type)
    return body, {"wa_type": wa_type, **metadata}


def _text(payload: JsonObject, path: str, _kind: str) -> tuple[str, dict[str, str]]:
    return opt_text(payload, "body", path) or "", {}


def _media(payload: JsonObject, path: str, kind: str) -> tuple[str, dict[str, str]]:
    caption = opt_text(payload, "caption", path)
    filename = opt_text(payload, "filename", path)
    if kind == "audio" and flag(payload, "voice", path):
        label = "[voice message]"
    elif filename:
        label = f"[{kind}: {clip(filename, 120)}]"
    else:
        label = f"[{kind}]"
    metadata = compact(
        media_id=opt_ident(payload, "id", path),
        mime_type=opt_text(payload, "mime_type", path),
        filename=filename,
        media_url=opt_text(payload, "url", path),
    )
    return (f"{label} {caption}" if caption and caption.strip() else label), metadata


def _location(payload: JsonObject, path: str, _kind: str) -> tuple[str, dict[str, str]]:
    latitude = _coordinate(payload, "latitude", path)
    longitude = _coordinate(payload, "longitude", path)
    name = opt_text(payload, "name", path)
    address = opt_text(payload, "address", path)
    place = ", ".join(part for part in (name, address) if part)
    where = f"({latitude}, {longitude})" if latitude and longitude else ""
    body = " ".join(part for part in ("[location]", place, where) if part)
    return body, compact(
        latitude=latitude,
        longitude=longitude,
        place=place or None,
        location_url=opt_text(payload, "url", path),
    )


def _coordinate(payload: JsonObject, key: str, path: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IngestError(f"{path}.{key}", f"expected a number, got {kind_of(value)}")
    return str(value)


def _interactive(payload: JsonObject, path: str, _kind: str) -> tuple[str, dict[str, str]]:
    reply_type = opt_text(payload, "type", path) or "reply"
    reply = opt_object(payload, reply_type, path)
    where = f"{path}.{reply_type}"
    if reply is None:
        return f"[interactive {clip(reply_type, 40)}]", {"interactive_type": clip(reply_type, 40)}
    if reply_type == "nfm_reply":
        body = opt_text(reply, "body", where) or "[form reply]"
        return body, compact(
            interactive_type=reply_type,
            flow_name=opt_text(reply, "name", where),
            response_json=opt_text(reply, "response_json", where),
        )
    title = opt_text(reply, "title", where) or ""
    description = opt_text(reply, "description", where)
    body = f"{title} — {description}" if description else title
    return body or f"[interactive {clip(reply_type, 40)}]", compact(
        interactive_type=clip(reply_type, 40), reply_id=opt_ident(reply, "id", where)
    )


def _button(payload: JsonObject, path: str, _kind: str) -> tuple[str, dict[str, str]]:
    return opt_text(payload, "text", path) or "[button]", compact(
        button_payload=opt_text(payload, "payload", path)
    )


def _order(payload: JsonObject, path: str, _kind: str) -> tuple[str, dict[str, str]]:
    lines: list[str] = []
    for i, raw in enumerate(opt_list(payload, "product_items", path)):
        where = f"{path}.product_items[{i}]"
        item = as_object(raw, where)
        product = opt_ident(item, "product_retailer_id", where) or "item"
        quantity = opt_count(item, "quantity", where)
        lines.append(f"{quantity if quantity is not None else 1} × {product}")
    note = opt_text(payload, "text", path)
    body = "[order] " + (", ".join(lines) or "no items")
    if note and note.strip():
        body += f" — {note}"
    return body, compact(catalog_id=opt_ident(payload, "catalog_id", path))


def _unsupported(payload: JsonObject, path: str, _kind: str) -> tuple[str, dict[str, str]]:
    what = opt_text(payload, "type", path)
    return (f"[unsupported message: {clip(what, 40)}]" if what else "[unsupported message]"), {}


_RENDERERS: dict[str, Callable[[JsonObject, str, str], tuple[str, dict[str, str]]]] = {
    "text": _text,
    "image": _media,
    "video": _media,
    "audio": _media,
    "document": _media,
    "sticker": _media,
    "location": _location,
    "interactive": _interactive,
    "button": _button,
    "order": _order,
    "unsupported": _unsupported,
}


def _shared_contacts(cards: object, path: str) -> str:
    entries: list[str] = []
    for i, raw in enumerate(as_list(cards, path)):
        where = f"{path}[{i}]"
        card = as_object(raw, where)
        name_obj = opt_object(card, "name", where) or {}
        name = opt_text(name_obj, "formatted_name", f"{where}.name") or " ".join(
            part
            for part in (opt_text(name_obj, key, f"{where}.name") for key in ("first_name", "last_name"))
            if part
        )
        phones = []
        for j, raw_phone in enumerate(opt_list(card, "phones", where)):
            phone = opt_text(as_object(raw_phone, f"{where}.phones[{j}]"), "phone", f"{where}.phones[{j}]")
            if phone:
                phones.append(phone)
        entries.append(" ".join(part for part in (name, *phones) if part) or "unnamed contact")
    return "[contact] " + ("; ".join(entries) or "empty card")
