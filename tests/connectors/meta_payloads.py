"""Meta's documented webhook payloads, built for tests, and their signatures.

The shapes follow Meta's references (Webhooks for Pages: ``feed``; Messenger Platform: ``messages``
and ``message_echoes``; Instagram Platform: ``comments``, ``mentions`` and messaging). Each builder
gives one change or one messaging event; ``page_delivery`` / ``instagram_delivery`` wrap them in
entries, and ``signed`` gives the body with its ``X-Hub-Signature-256`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

APP_SECRET = "test-app-secret-0123456789"
VERIFY_TOKEN = "test-verify-token"
PAGE_ID = "104857600012345"
IG_ID = "17841405309211844"


def epoch(at: datetime) -> int:
    return int(at.timestamp())


def feed(
    *,
    item: str = "comment",
    verb: str = "add",
    post_id: str = f"{PAGE_ID}_900001",
    comment_id: str | None = None,
    parent_id: str | None = None,
    from_id: str = "5550001",
    from_name: str = "Maja Besökare",
    message: str | None = "Hej! När öppnar anmälan?",
    created_time: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """A page ``feed`` change (item comment|post|status|photo|video|share|reaction…, verb
    add|edited|remove|hide|unhide)."""
    value: dict[str, Any] = {
        "item": item,
        "verb": verb,
        "post_id": post_id,
        "from": {"id": from_id, "name": from_name},
    }
    if comment_id is not None:
        value["comment_id"] = comment_id
    if parent_id is not None:
        value["parent_id"] = parent_id
    if message is not None:
        value["message"] = message
    if created_time is not None:
        value["created_time"] = epoch(created_time) if isinstance(created_time, datetime) else created_time
    value.update(extra)
    return {"field": "feed", "value": value}


def ig_comment(
    *,
    comment_id: str,
    text: str = "Snygg bild! 😍",
    from_id: str = "7770001",
    username: str = "besokare",
    media_id: str = "17900000000000001",
    parent_id: str | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": comment_id,
        "from": {"id": from_id, "username": username},
        "text": text,
        "media": {"id": media_id, "media_product_type": "FEED"},
    }
    if parent_id is not None:
        value["parent_id"] = parent_id
    return {"field": "comments", "value": value}


def ig_mention(*, media_id: str, comment_id: str | None = None) -> dict[str, Any]:
    value = {"media_id": media_id}
    if comment_id is not None:
        value["comment_id"] = comment_id
    return {"field": "mentions", "value": value}


def message(
    *,
    mid: str,
    text: str | None = "Hej, en fråga om antagningen",
    sender: str = "6660001",
    recipient: str = PAGE_ID,
    at: datetime,
    is_echo: bool = False,
) -> dict[str, Any]:
    """A Messenger or Instagram messaging event (``timestamp`` in milliseconds)."""
    body: dict[str, Any] = {"mid": mid}
    if text is not None:
        body["text"] = text
    if is_echo:
        body["is_echo"] = True
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": epoch(at) * 1000,
        "message": body,
    }


def entry(
    entry_id: str, at: datetime, *, changes: list[Any] | None = None, messaging: list[Any] | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {"id": entry_id, "time": epoch(at)}
    if changes is not None:
        result["changes"] = changes
    if messaging is not None:
        result["messaging"] = messaging
    return result


def page_delivery(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": list(entries)}


def instagram_delivery(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"object": "instagram", "entry": list(entries)}


def body_of(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(document: Any, secret: str = APP_SECRET) -> tuple[bytes, dict[str, Any]]:
    """The body and the headers (for Django's test client) of a delivery signed as Meta signs it."""
    body = document if isinstance(document, bytes) else body_of(document)
    return body, {"HTTP_X_HUB_SIGNATURE_256": signature(body, secret)}
