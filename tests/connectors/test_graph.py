"""The Graph client against the stand-in: the token and its proof, retries with a capped backoff on
rate limits, 5xx and requests that never left, no retry of a write whose outcome is unknown, typed
errors with Meta's message, and paging only under the configured base."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from connectors import http
from connectors.meta.graph import (
    Graph,
    MissingPermission,
    PageUnreachable,
    Refused,
    TokenError,
    Unavailable,
    classify,
)
from connectors.models import Connection
from core.models import Notification
from tests.connectors.graph_standin import (
    OUTSIDE_WINDOW,
    RATE_LIMITED,
    SERVER_ERROR,
    TOKEN_EXPIRED,
    Delay,
    connect,
    error,
    graph_api,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(make_account: Any) -> Connection:
    return connect(make_account(platform="facebook_page"))


def test_a_reply_carries_the_text_the_token_and_its_appsecret_proof(
    settings: Any, connection: Connection
) -> None:
    settings.META_APP_SECRET = "app-secret"
    with graph_api(settings) as api:
        api.replies_ok("111_222", new_id="111_333")
        answer = Graph(connection).post("/111_222/comments", {"message": "Hej! Anmälan öppnar 15 mars 🎓"})
        [sent] = api.sent("POST", r"111_222/comments")
    assert answer == {"id": "111_333"}
    assert sent.form["message"] == "Hej! Anmälan öppnar 15 mars 🎓"
    assert sent.form["access_token"] == "EAAtoken-1"
    expected = hmac.new(b"app-secret", b"EAAtoken-1", hashlib.sha256).hexdigest()
    assert sent.form["appsecret_proof"] == expected


def test_no_appsecret_proof_without_an_app_secret(settings: Any, connection: Connection) -> None:
    settings.META_APP_SECRET = ""
    with graph_api(settings) as api:
        api.on("GET", "1122334455", (200, {"id": "1122334455"}))
        Graph(connection).get("/1122334455")
        [sent] = api.sent("GET")
    assert "appsecret_proof" not in sent.query


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limits_are_retried_then_done(settings: Any, connection: Connection, code: int) -> None:
    with graph_api(settings) as api:
        api.sequence("POST", r"111_222/comments", RATE_LIMITED[code], (200, {"id": "111_9"}))
        answer = Graph(connection).post("/111_222/comments", {"message": "Svar"})
        assert len(api.sent("POST")) == 2
    assert answer["id"] == "111_9"


def test_a_5xx_is_retried_a_few_times_and_then_given_up(settings: Any, connection: Connection) -> None:
    with graph_api(settings) as api:
        api.on("GET", "1122334455/feed", SERVER_ERROR)
        with pytest.raises(Unavailable) as raised:
            Graph(connection).get("/1122334455/feed")
        assert len(api.sent("GET")) == 3  # capped: never more than ATTEMPTS
    assert "unexpected error" in raised.value.reason


def test_a_write_that_timed_out_is_not_sent_again(settings: Any, connection: Connection) -> None:
    with graph_api(settings, timeout=0.5) as api:
        api.on("POST", r"111_222/comments", Delay(2.0, 200, {"id": "111_late"}))
        with pytest.raises(http.OutcomeUnknown):
            Graph(connection).post("/111_222/comments", {"message": "Svar"})
        assert len(api.sent("POST")) == 1


def test_a_read_that_timed_out_is_tried_again(settings: Any, connection: Connection) -> None:
    with graph_api(settings, timeout=0.5) as api:
        api.sequence("GET", "1122334455", Delay(1.5), (200, {"id": "1122334455"}))
        assert Graph(connection).get("/1122334455") == {"id": "1122334455"}


def test_an_expired_token_needs_attention_and_tells_once_kau_resp_daily(
    settings: Any, connection: Connection, cast: Any
) -> None:
    with graph_api(settings) as api:
        api.on("GET", "1122334455/feed", TOKEN_EXPIRED)
        for _ in range(2):
            with pytest.raises(TokenError) as raised:
                Graph(connection).get("/1122334455/feed")
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == ("attention", "token_expired")
    assert "Session has expired" in connection.last_error
    assert "190" in raised.value.reason
    told = Notification.objects.filter(kind="connection_attention")
    assert {n.recipient for n in told} == {cast["communicator"], cast["deputy"], cast["social_media_lead"]}


def test_a_missing_permission_needs_attention(settings: Any, connection: Connection) -> None:
    with graph_api(settings) as api:
        api.on("GET", "1122334455/conversations", error(200, "(#200) Requires pages_messaging permission"))
        with pytest.raises(MissingPermission):
            Graph(connection).get("/1122334455/conversations")
    connection.refresh_from_db()
    assert connection.cause == "permission"


def test_an_unreachable_page_needs_attention(settings: Any, connection: Connection) -> None:
    with graph_api(settings) as api:
        api.on("GET", "1122334455/feed", error(100, "Object with ID '1122334455' does not exist", subcode=33))
        with pytest.raises(PageUnreachable):
            Graph(connection).get("/1122334455/feed")
    connection.refresh_from_db()
    assert connection.cause == "unpublished"


def test_outside_the_reply_window_is_a_refusal_not_a_missing_permission() -> None:
    status, body = OUTSIDE_WINDOW
    refused = classify(status, body, path="/1122334455/messages")
    assert isinstance(refused, Refused)
    assert "svarsfönster på 24 timmar" in refused.reason
    assert "2018278" in refused.reason


def test_a_gone_comment_is_refused_without_touching_the_connection(
    settings: Any, connection: Connection
) -> None:
    with graph_api(settings) as api:
        api.on(
            "POST", "111_222", error(100, "Unsupported post request. Object with ID '111_222' does not exist")
        )
        with pytest.raises(Refused):
            Graph(connection).post("/111_222", {"is_hidden": True})
    connection.refresh_from_db()
    assert connection.health == "active"


def test_paging_follows_cursors_under_the_base(settings: Any, connection: Connection) -> None:
    with graph_api(settings) as api:
        api.paged("1122334455/feed", [[{"id": "a"}], [{"id": "b"}], [{"id": "c"}]])
        ids = [row["id"] for page in Graph(connection).pages("/1122334455/feed") for row in page]
        sent = api.sent("GET")
    assert ids == ["a", "b", "c"]
    assert [r.query.get("after") for r in sent] == [None, "1", "2"]
    assert all(r.query["access_token"] == "EAAtoken-1" for r in sent)  # ours, not the link's


def test_a_paging_link_outside_the_base_is_not_followed(settings: Any, connection: Connection) -> None:
    with graph_api(settings) as api:
        api.paged("1122334455/feed", [[{"id": "a"}], [{"id": "b"}]], next_base="http://127.0.0.1:9/v24.0")
        ids = [row["id"] for page in Graph(connection).pages("/1122334455/feed") for row in page]
        assert len(api.sent("GET")) == 1
    assert ids == ["a"]
