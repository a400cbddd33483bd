"""Meta's webhook: the verification handshake, the signature, and deliveries kept as received."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from connectors.models import Delivery
from tests.connectors import meta_payloads as meta

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
URL = "/connectors/meta/webhook/"


@pytest.fixture(autouse=True)
def meta_settings(settings: Any) -> None:
    settings.META_APP_SECRET = meta.APP_SECRET
    settings.META_VERIFY_TOKEN = meta.VERIFY_TOKEN


def a_delivery() -> dict:
    return meta.page_delivery(
        meta.entry(meta.PAGE_ID, NOW, changes=[meta.feed(comment_id=f"{meta.PAGE_ID}_1_2", created_time=NOW)])
    )


def post(client: Client, body: bytes, headers: dict[str, Any]) -> Any:
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_the_address_is_the_documented_one() -> None:
    assert reverse("connectors_hooks:meta_webhook") == URL


@pytest.mark.django_db
def test_the_handshake_echoes_the_challenge(client: Client) -> None:
    response = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": meta.VERIFY_TOKEN, "hub.challenge": "1158201444"}
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")
    assert not response.cookies  # no session


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": meta.VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": meta.VERIFY_TOKEN},
        {},
    ],
)
def test_any_other_handshake_is_refused(client: Client, params: dict) -> None:
    assert client.get(URL, params).status_code == 403


@pytest.mark.django_db
def test_an_empty_verify_token_setting_refuses_everything(client: Client, settings: Any) -> None:
    settings.META_VERIFY_TOKEN = ""
    response = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_signed_delivery_is_kept_as_received_and_answered_at_once(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    body, headers = meta.signed(a_delivery())
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, body, headers)
    assert response.status_code == 200
    delivery = Delivery.objects.get()
    assert bytes(delivery.body) == body
    assert delivery.sha256 == hashlib.sha256(body).hexdigest()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.events.count() == 0
    assert len(callbacks) == 1  # the worker is woken once the delivery is committed
    assert not response.cookies


@pytest.mark.django_db
def test_the_same_body_again_stores_nothing_new_and_is_still_200(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    body, headers = meta.signed(a_delivery())
    assert post(client, body, headers).status_code == 200
    with django_capture_on_commit_callbacks() as callbacks:
        assert post(client, body, headers).status_code == 200
    assert Delivery.objects.count() == 1
    assert callbacks == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_HUB_SIGNATURE_256": ""},
        {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + "0" * 64},
        {"HTTP_X_HUB_SIGNATURE_256": meta.signature(b"another body")},
        {"HTTP_X_HUB_SIGNATURE_256": meta.signature(meta.body_of(a_delivery()), "another-secret")},
        {"HTTP_X_HUB_SIGNATURE_256": meta.signature(meta.body_of(a_delivery())).replace("sha256=", "sha1=")},
        {"HTTP_X_HUB_SIGNATURE_256": meta.signature(meta.body_of(a_delivery())) + "ä"},
    ],
)
def test_a_missing_or_wrong_signature_is_403_and_stores_nothing(client: Client, headers: dict) -> None:
    response = post(client, meta.body_of(a_delivery()), headers)
    assert response.status_code == 403
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_without_an_app_secret_nothing_is_accepted(client: Client, settings: Any) -> None:
    settings.META_APP_SECRET = ""
    body, headers = meta.signed(a_delivery(), secret="")
    assert post(client, body, headers).status_code == 403
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_413_and_stores_nothing(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body, headers = meta.signed(b'{"object":"page","entry":[],"pad":"' + b"x" * 10_000 + b'"}')
    assert post(client, body, headers).status_code == 413
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_a_signed_body_that_is_not_json_is_still_kept(client: Client) -> None:
    body, headers = meta.signed(b"\x00not json at all")
    assert post(client, body, headers).status_code == 200
    assert bytes(Delivery.objects.get().body) == b"\x00not json at all"


@pytest.mark.django_db
def test_other_methods_are_refused(client: Client) -> None:
    assert client.put(URL, data=b"{}").status_code == 405


@pytest.mark.django_db
def test_receiving_is_one_insert(client: Client, django_assert_num_queries: Any) -> None:
    body, headers = meta.signed(a_delivery())
    with django_assert_num_queries(1) as captured:
        assert post(client, body, headers).status_code == 200
    sql = captured.captured_queries[0]["sql"]
    assert "ON CONFLICT" in sql.upper()
    assert connection.vendor in ("postgresql", "sqlite")
