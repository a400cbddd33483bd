"""connectors.http: the connectors' one way out reaches only the configured base, through the checked
and pinned connection of core.outbound, and tells "not sent" from "sent, outcome unknown"."""

from __future__ import annotations

from typing import Any

import pytest

from connectors import http
from tests.connectors.standin import Delay, stand_in


@pytest.fixture
def loopback(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = ["127.0.0.1/32"]


def test_a_call_sends_the_query_and_the_form_and_reads_json(loopback: None) -> None:
    with stand_in("/v24.0") as api:
        api.route("POST", r"/v24\.0/(\d+_\d+)/comments", lambda r: (200, {"id": f"{r.path.split('/')[2]}_9"}))
        answer = http.call(
            api.base_url,
            "POST",
            "/111_222/comments",
            params={"access_token": "T"},
            form={"message": "Hej 🙂"},
        )
        assert (answer.status, answer.json()) == (200, {"id": "111_222_9"})
        sent = api.sent("POST")[0]
        assert sent.query == {"access_token": "T"}
        assert sent.form == {"message": "Hej 🙂"}
        assert sent.headers["user-agent"] == "Kanalvakt"


def test_an_error_status_is_an_answer_not_an_exception(loopback: None) -> None:
    with stand_in() as api:
        api.route("GET", "/me", (400, {"error": {"code": 190, "message": "Error validating access token"}}))
        answer = http.call(api.base_url, "GET", "/me")
        assert answer.status == 400
        assert answer.json()["error"]["code"] == 190


@pytest.mark.parametrize(
    "path",
    ["http://169.254.169.254/latest", "/a b", "relative", "/x\r\nHost: evil", "/..\\x", "//evil.example/x"],
)
def test_only_a_plain_path_under_the_base_is_called(loopback: None, path: str) -> None:
    with stand_in() as api:
        with pytest.raises(http.NotSent):
            http.call(api.base_url, "GET", path)
        assert api.sent() == []


def test_the_inside_is_refused_before_anything_is_sent(settings: Any) -> None:
    settings.KANALVAKT_OUTBOUND_ALLOW_NETWORKS = []
    with stand_in() as api:
        with pytest.raises(http.NotSent) as refused:
            http.call(api.base_url, "GET", "/me")
        assert "127.0.0.1" in refused.value.reason
        assert api.sent() == []


def test_a_time_out_after_sending_is_an_unknown_outcome(loopback: None) -> None:
    with stand_in() as api:
        api.route("POST", "/1_2/comments", Delay(2.0, 200, {"id": "late"}))
        with pytest.raises(http.OutcomeUnknown):
            http.call(api.base_url, "POST", "/1_2/comments", form={"message": "x"}, timeout=0.5)
        assert len(api.sent("POST")) == 1  # it did reach the platform


def test_nothing_listening_is_not_sent(loopback: None) -> None:
    with stand_in() as api:
        base = api.base_url
    with pytest.raises(http.NotSent):
        http.call(base, "GET", "/me", timeout=1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://graph.facebook.com/v24.0/123/feed?after=abc&limit=25", "/123/feed?after=abc&limit=25"),
        ("https://graph.facebook.com/v24.0", "/"),
        ("https://graph.facebook.com/v23.0/123/feed", None),
        ("https://graph.facebook.com/v24.0evil/123", None),
        ("http://graph.facebook.com/v24.0/123/feed", None),
        ("https://graph.facebook.com:8443/v24.0/123", None),
        ("https://evil.example/v24.0/123", None),
        ("https://graph.facebook.com.evil.example/v24.0/123", None),
        ("not a url", None),
    ],
)
def test_a_paging_link_is_followed_only_under_the_base(url: str, expected: str | None) -> None:
    assert http.under_base("https://graph.facebook.com/v24.0", url) == expected
