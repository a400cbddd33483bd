"""connectors.services: connecting an account with a token checked against the Graph API (stand-in
server), replacing the token, disconnecting, and who may. The registry's flag for a connection that
needs attention (KAU-RESP-DAILY)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection as db_connection

from accounts.flags import with_flags
from accounts.models import Account
from connectors import services
from connectors.models import Connection
from tests.conftest import Cast
from tests.connectors.standin import Request, StandIn, stand_in

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GOOD = "EAAGoodPageToken123"
PAGE_ID = "104857600123"
IG_ID = "17841400000000001"


def graph_error(code: int, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}}


def node(request: Request) -> tuple[int, Any]:
    """GET /{id}?fields=…: the page (or Instagram account) when the token is GOOD, else Graph's 190."""
    if request.query.get("access_token") != GOOD:
        return graph_error(190, "Error validating access token: Session has expired")
    assert request.match is not None
    node_id = request.match.group(1)
    if node_id == IG_ID:
        return 200, {"id": IG_ID, "username": "konto_1_kau", "name": "Konto 1"}
    if node_id == PAGE_ID:
        return 200, {"id": PAGE_ID, "name": "Karlstads universitet"}
    return graph_error(100, "Unsupported get request.")


@pytest.fixture
def graph(settings: Any) -> Iterator[StandIn]:
    """The Graph API, stood in for on 127.0.0.1; no app configured (so no debug_token)."""
    with stand_in("/v24.0") as api:
        settings.META_GRAPH_URL = api.base_url
        settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]
        settings.META_APP_ID = ""
        settings.META_APP_SECRET = ""
        api.route("GET", r"/v24\.0/([0-9]+)", node)
        yield api


@pytest.fixture
def facebook_account(make_account: Any) -> Account:
    return make_account(platform="facebook_page", name="Karlstads universitet", handle="karlstadsuniversitet")


def _backfills_queued() -> list[list[Any]]:
    """The backfill tasks sent to the (in-memory) broker since the last call, with their arguments."""
    from config.celery import app

    found = []
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            message.ack()
            if message.headers.get("task") == services.BACKFILL_TASK:
                found.append(message.payload[0])
        queue.close()
    return found


def test_connecting_with_a_good_token_keeps_it_encrypted_and_starts_the_backfill(
    cast: Cast, facebook_account: Account, graph: StandIn, django_capture_on_commit_callbacks: Any
) -> None:
    _backfills_queued()
    with django_capture_on_commit_callbacks(execute=True):
        made = services.connect(
            facebook_account,
            platform="facebook",
            external_id=PAGE_ID,
            token=GOOD,
            by=cast["communicator"],
            now=NOW,
        )
    made.refresh_from_db()
    assert made.health == Connection.Health.ACTIVE
    assert made.cause == ""
    assert made.name_on_platform == "Karlstads universitet"
    assert made.token == GOOD
    assert GOOD not in made.token_encrypted  # encrypted at rest
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT token_encrypted FROM connectors_connection")
        assert GOOD not in cursor.fetchone()[0]
    assert all(GOOD not in (entry.token_encrypted or "") for entry in made.history.all())
    assert made.history.get(history_change_reason="connected").history_user == cast["communicator"]
    [check] = graph.sent("GET", rf"/v24\.0/{PAGE_ID}")
    assert check.query == {"fields": "id,name", "access_token": GOOD}
    assert _backfills_queued() == [[made.pk]]


def test_a_refused_token_is_an_error_on_the_token_field_and_stores_nothing(
    cast: Cast, facebook_account: Account, graph: StandIn
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.connect(
            facebook_account,
            platform="facebook",
            external_id=PAGE_ID,
            token="EAAExpired",
            by=cast["deputy"],
            now=NOW,
        )
    assert set(refused.value.message_dict) == {"token"}
    assert "expired" in refused.value.message_dict["token"][0]
    assert "EAAExpired" not in str(refused.value)
    assert not Connection.objects.exists()


def test_meta_out_of_reach_is_an_error_on_the_token_field(
    cast: Cast, facebook_account: Account, settings: Any
) -> None:
    settings.META_GRAPH_URL = "http://127.0.0.1:9/v24.0"  # nothing listens; and not an allowed network
    with pytest.raises(ValidationError) as refused:
        services.connect(
            facebook_account, platform="facebook", external_id=PAGE_ID, token=GOOD, by=cast["deputy"], now=NOW
        )
    assert set(refused.value.message_dict) == {"token"}
    assert not Connection.objects.exists()


def test_without_a_token_the_connection_needs_attention_and_raises_the_flag(
    cast: Cast, facebook_account: Account, graph: StandIn
) -> None:
    """KAU-RESP-DAILY: a connection without a token cannot fetch what a webhook missed."""
    made = services.connect(
        facebook_account, platform="facebook", external_id=PAGE_ID, by=cast["communicator"], now=NOW
    )
    assert (made.health, made.cause, made.has_token) == ("attention", "no_token", False)
    assert graph.sent() == []
    flagged = with_flags(Account.objects.filter(pk=facebook_account.pk), now=NOW).get()
    assert flagged.flag_connection is True  # type: ignore[attr-defined]


def test_the_flag_follows_the_live_connections_health(
    cast: Cast, facebook_account: Account, graph: StandIn
) -> None:
    """KAU-RESP-DAILY: only a live connection that needs attention raises the flag; a closed account never."""

    def flag() -> bool:
        return bool(with_flags(Account.objects.filter(pk=facebook_account.pk), now=NOW).get().flag_connection)  # type: ignore[attr-defined]

    assert flag() is False
    made = services.connect(
        facebook_account, platform="facebook", external_id=PAGE_ID, token=GOOD, by=None, now=NOW
    )
    assert flag() is False
    Connection.objects.filter(pk=made.pk).update(health="attention", cause="token_expired")
    assert flag() is True
    services.disconnect(made, by=None, now=NOW)
    assert flag() is False


def test_the_registry_platform_must_match(cast: Cast, make_account: Any, graph: StandIn) -> None:
    instagram = make_account(platform="instagram")
    linkedin = make_account(platform="linkedin")
    with pytest.raises(ValidationError) as wrong:
        services.connect(instagram, platform="facebook", external_id=PAGE_ID, by=None, now=NOW)
    assert set(wrong.value.message_dict) == {"platform"}
    with pytest.raises(ValidationError):
        services.connect(linkedin, platform="facebook", external_id=PAGE_ID, by=None, now=NOW)
    with pytest.raises(ValidationError):
        services.connect(instagram, platform="tiktok", external_id=PAGE_ID, by=None, now=NOW)
    made = services.connect(instagram, platform="instagram", external_id=IG_ID, token=GOOD, by=None, now=NOW)
    assert made.name_on_platform == "konto_1_kau"
    assert graph.sent("GET", rf"/v24\.0/{IG_ID}")[0].query["fields"] == "id,name,username"


@pytest.mark.parametrize("external_id", ["", "abc", "12 34", "../me", "1" * 31, "١٢٣", "123?fields=x"])
def test_the_identity_is_a_plain_numeric_id(
    cast: Cast, facebook_account: Account, graph: StandIn, external_id: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.connect(
            facebook_account, platform="facebook", external_id=external_id, token=GOOD, by=None, now=NOW
        )
    assert set(refused.value.message_dict) == {"external_id"}
    assert graph.sent() == []
    assert not Connection.objects.exists()


def test_a_closed_account_cannot_be_connected(cast: Cast, facebook_account: Account, graph: StandIn) -> None:
    Account.objects.filter(pk=facebook_account.pk).update(status="closed", closed_at=NOW)
    facebook_account.refresh_from_db()
    with pytest.raises(ValidationError):
        services.connect(facebook_account, platform="facebook", external_id=PAGE_ID, by=None, now=NOW)
    assert not Connection.objects.exists()


def test_one_live_connection_per_identity_and_per_account(
    cast: Cast, facebook_account: Account, make_account: Any, graph: StandIn
) -> None:
    other = make_account(platform="facebook_page", name="Annan sida")
    first = services.connect(facebook_account, platform="facebook", external_id=PAGE_ID, by=None, now=NOW)
    with pytest.raises(ValidationError) as same_identity:
        services.connect(other, platform="facebook", external_id=PAGE_ID, by=None, now=NOW)
    assert "redan kopplat till ett annat konto" in same_identity.value.message_dict["external_id"][0]
    with pytest.raises(ValidationError) as same_account:
        services.connect(facebook_account, platform="facebook", external_id="999", by=None, now=NOW)
    assert "redan kopplat" in same_account.value.message_dict["external_id"][0]
    services.disconnect(first, by=None, now=NOW)
    again = services.connect(
        other, platform="facebook", external_id=PAGE_ID, by=None, now=NOW + timedelta(hours=1)
    )
    assert Connection.objects.count() == 2
    assert again.is_live


@pytest.mark.parametrize(
    ("person", "allowed"),
    [
        ("communicator", True),
        ("deputy", True),
        ("communications", True),
        ("social_media_lead", True),
        ("head_of_unit", False),
        ("dean", False),
        ("registrar", False),
        ("security_officer", False),
        ("outsider", False),
    ],
)
def test_who_may_connect_and_disconnect(
    cast: Cast, facebook_account: Account, graph: StandIn, person: str, allowed: bool
) -> None:
    """KAU-RESP-OWNER: the owner, a deputy or the communications department (the lead is in it)."""
    if not allowed:
        with pytest.raises(PermissionDenied):
            services.connect(
                facebook_account, platform="facebook", external_id=PAGE_ID, by=cast[person], now=NOW
            )
        made = services.connect(facebook_account, platform="facebook", external_id=PAGE_ID, by=None, now=NOW)
        with pytest.raises(PermissionDenied):
            services.disconnect(made, by=cast[person], now=NOW)
        assert Connection.objects.get().is_live
        return
    made = services.connect(
        facebook_account, platform="facebook", external_id=PAGE_ID, by=cast[person], now=NOW
    )
    services.disconnect(made, by=cast[person], now=NOW)
    assert Connection.objects.get().disconnected_by == cast[person]


def test_disconnecting_forgets_the_token_and_keeps_the_connection(
    cast: Cast, facebook_account: Account, graph: StandIn
) -> None:
    made = services.connect(
        facebook_account, platform="facebook", external_id=PAGE_ID, token=GOOD, by=None, now=NOW
    )
    gone = services.disconnect(made, by=cast["deputy"], now=NOW + timedelta(days=1))
    gone.refresh_from_db()
    assert (gone.health, gone.token_encrypted, gone.disconnected_at) == (
        "disconnected",
        "",
        NOW + timedelta(days=1),
    )
    reasons = [entry.history_change_reason for entry in gone.history.order_by("history_date", "history_id")]
    assert reasons[0] == "connected"
    assert reasons[-1] == "disconnected"
    with pytest.raises(ValidationError):
        services.disconnect(gone, by=None, now=NOW)


def test_replacing_the_token_makes_an_expired_connection_active_again(
    cast: Cast, facebook_account: Account, graph: StandIn
) -> None:
    made = services.connect(facebook_account, platform="facebook", external_id=PAGE_ID, by=None, now=NOW)
    with pytest.raises(ValidationError) as refused:
        services.set_token(made, token="EAABad", by=cast["communicator"], now=NOW)
    assert set(refused.value.message_dict) == {"token"}
    made.refresh_from_db()
    assert (made.health, made.has_token) == ("attention", False)
    renewed = services.set_token(made, token=GOOD, by=cast["communicator"], now=NOW)
    assert (renewed.health, renewed.cause, renewed.token) == ("active", "", GOOD)
    with pytest.raises(PermissionDenied):
        services.set_token(renewed, token=GOOD, by=cast["head_of_unit"], now=NOW)


def test_debug_token_gives_the_expiry_and_scopes_when_the_app_is_configured(
    cast: Cast, facebook_account: Account, graph: StandIn, settings: Any
) -> None:
    settings.META_APP_ID, settings.META_APP_SECRET = "1234", "app-secret"
    expires = int(datetime(2027, 1, 25, tzinfo=UTC).timestamp())

    def debug(request: Request) -> tuple[int, Any]:
        assert request.query["access_token"] == "1234|app-secret"
        valid = request.query["input_token"] == GOOD
        data: dict[str, Any] = {"app_id": "1234", "type": "PAGE", "is_valid": valid, "expires_at": expires}
        data["scopes"] = ["pages_read_engagement", "pages_manage_engagement"]
        if not valid:
            data["error"] = {"code": 190, "message": "The session has been invalidated"}
        return 200, {"data": data}

    graph.route("GET", r"/v24\.0/debug_token", debug)
    graph.route("GET", r"/v24\.0/([0-9]+)", lambda request: (200, {"id": PAGE_ID, "name": "Sidan"}))
    made = services.connect(
        facebook_account, platform="facebook", external_id=PAGE_ID, token=GOOD, by=None, now=NOW
    )
    assert made.token_expires_at == datetime(2027, 1, 25, tzinfo=UTC)
    assert made.scopes == ["pages_manage_engagement", "pages_read_engagement"]
    services.disconnect(made, by=None, now=NOW)
    with pytest.raises(ValidationError) as revoked:
        services.connect(
            facebook_account, platform="facebook", external_id=PAGE_ID, token="EAARevoked", by=None, now=NOW
        )
    assert "återkallats" in revoked.value.message_dict["token"][0]


def test_a_token_with_spaces_or_too_long_is_refused_before_any_call(
    cast: Cast, facebook_account: Account, graph: StandIn
) -> None:
    for token in ("EAA abc", "E" * 2001, "EAA\r\nHost: x"):
        with pytest.raises(ValidationError) as refused:
            services.connect(
                facebook_account, platform="facebook", external_id=PAGE_ID, token=token, by=None, now=NOW
            )
        assert set(refused.value.message_dict) == {"token"}
    assert graph.sent() == []
