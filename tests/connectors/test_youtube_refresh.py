"""YouTube with the installation's OAuth client (connectors/youtube/auth.py) against the stand-in of
YouTube and of Google's token endpoint (tests/connectors/youtube_standin.py): a channel connected with
its refresh token, the hour-long access tokens made from it before they expire and once more after a
401, a revoked refresh token turning the connection to needs attention (KAU-RESP-DAILY), and no
access token in a log, an error or the history. Without the client settings nothing changes."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors import outgoing, polling, services
from connectors.errors import Refused, TokenError, Unavailable
from connectors.models import Connection, Event, Outgoing
from connectors.youtube import ADAPTER, auth
from moderation import services as moderation
from moderation.models import Item
from tests.connectors.standin import Delay
from tests.connectors.youtube_standin import (
    API_KEY,
    CHANNEL,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SCOPE,
    TOKEN,
    TOKEN_INVALID,
    YouTubeStandIn,
    comment,
    visitor,
    youtube_api,
)
from tests.support import in_english, login

pytestmark = pytest.mark.django_db


def cid(number: int) -> str:
    return f"Ugz{number:023d}"


@pytest.fixture
def youtube(settings: Any) -> Iterator[YouTubeStandIn]:
    """The stand-in, with the installation's OAuth client set."""
    with youtube_api(settings, client=True) as stand_in:
        yield stand_in


@pytest.fixture
def account(make_account: Any) -> Any:
    return make_account(platform="youtube", name="Karlstads universitet", handle="karlstadsuniversitet")


def connect(account: Any, cast: Any, token: str = REFRESH_TOKEN) -> Connection:
    return services.connect(
        account,
        platform="youtube",
        external_id=CHANNEL,
        token=token,
        by=cast["communicator"],
        now=timezone.now(),
    )


def poll(connection: Connection, now: datetime | None = None) -> Any:
    connection.refresh_from_db()
    return polling.poll_connection(connection, now=now or timezone.now())


def bearer(request: Any) -> str:
    return str(request.headers.get("authorization", "")).removeprefix("Bearer ")


def set_expiry(connection: Connection, expires_at: datetime) -> None:
    connection.refresh_from_db()
    connection.session = {**connection.session, "expires_at": expires_at.isoformat()}
    Connection.objects.filter(pk=connection.pk).update(session_encrypted=connection.session_encrypted)


def answer(item: Item, cast: Any, text: str = "Bilderna finns på kau.se/bilder") -> str | None:
    moderation.answer_item(item, answer=text, by=cast["communicator"], now=timezone.now())
    return outgoing.send(Outgoing.objects.get(item=item).pk, now=timezone.now())


def commented(youtube: YouTubeStandIn, number: int = 1) -> None:
    youtube.add(
        comment(
            cid(number), "Var finns bilderna?", timezone.now() - timedelta(hours=2), author_id=visitor(number)
        )
    )


# --- Connecting -----------------------------------------------------------------------------------------


def test_connecting_exchanges_the_refresh_token_first_then_checks_the_channel(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    before = timezone.now()
    connection = connect(account, cast)
    [renewal] = youtube.renewals()
    assert renewal.form == {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "grant_type": "refresh_token",
    }
    assert renewal.headers["content-type"] == "application/x-www-form-urlencoded"
    assert [r.path.rsplit("/", 1)[-1] for r in youtube.server.requests] == ["token", "channels"]
    [asked] = youtube.sent("GET", "/channels")
    assert asked.query == {"part": "snippet,statistics", "mine": "true"}
    assert bearer(asked) == youtube.issued[0]
    assert (connection.health, connection.name_on_platform) == ("active", "Karlstads universitet")
    assert connection.token == REFRESH_TOKEN  # the refresh token is the connection's secret
    assert connection.scopes == [SCOPE]
    assert connection.token_expires_at is None
    connection.refresh_from_db()
    kept = connection.session
    assert kept["access_token"] == youtube.issued[0]
    expires_at = datetime.fromisoformat(kept["expires_at"])
    assert before + timedelta(seconds=3599) <= expires_at <= timezone.now() + timedelta(seconds=3599)


def test_a_revoked_or_wrong_refresh_token_or_client_connects_nothing(
    youtube: YouTubeStandIn, account: Any, cast: Any, settings: Any
) -> None:
    with pytest.raises(ValidationError) as revoked:
        connect(account, cast, token="1//0gRevokedLongAgo")
    assert "invalid_grant" in str(revoked.value.message_dict["token"])
    settings.YOUTUBE_CLIENT_SECRET = "GOCSPX-wrong"
    with pytest.raises(ValidationError) as wrong:
        connect(account, cast)
    assert "YOUTUBE_CLIENT_SECRET" in str(wrong.value.message_dict["token"])
    assert not youtube.sent("GET", "/channels")  # nothing asked of YouTube without an access token
    assert not Connection.objects.exists()


def test_a_refresh_token_without_the_force_ssl_scope_is_refused(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    youtube.scope = "https://www.googleapis.com/auth/youtube.readonly"
    with pytest.raises(ValidationError) as refused:
        connect(account, cast)
    assert "youtube.force-ssl" in str(refused.value.message_dict["token"])
    assert not Connection.objects.exists()


def test_the_connection_page_asks_for_the_refresh_token_and_says_how_to_get_it(
    client: Client, cast: Any, youtube: YouTubeStandIn, account: Any
) -> None:
    in_english(login(client, cast, "communicator"))
    url = reverse("connectors:connect", args=[account.pk])
    page = client.get(reverse("connectors:account", args=[account.pk])).content.decode()
    assert "OAuth refresh token" in page
    assert 'data-youtube-token="refresh"' in page
    assert "access_type=offline" in page
    assert SCOPE in page
    response = client.post(url, {"external_id": CHANNEL, "token": REFRESH_TOKEN})
    assert response.status_code == 302
    connection = Connection.objects.get(account=account)
    assert connection.token == REFRESH_TOKEN
    page = client.get(reverse("connectors:account", args=[account.pk])).content.decode()
    for secret in (REFRESH_TOKEN, *youtube.issued, CLIENT_SECRET):
        assert secret not in page


def test_replacing_the_refresh_token_keeps_its_access_token_and_ends_the_attention(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    youtube.revoke()
    assert poll(connection) is None
    youtube.refresh_tokens.add("1//0gTheNewOne")
    replaced = services.set_token(
        connection, token="1//0gTheNewOne", by=cast["communicator"], now=timezone.now()
    )
    assert (replaced.health, replaced.cause, replaced.token) == ("active", "", "1//0gTheNewOne")
    assert replaced.session["access_token"] == youtube.issued[-1]


# --- The access token in use ------------------------------------------------------------------------------


def test_polls_and_answers_carry_the_access_token_made_from_the_refresh_token(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    commented(youtube)
    assert poll(connection) is not None
    [read] = youtube.sent("GET", "/commentThreads")
    assert bearer(read) == youtube.issued[0]
    assert len(youtube.renewals()) == 1  # the access token from the check is still good
    assert answer(Item.objects.get(platform_id=cid(1)), cast) == "done"
    [posted] = youtube.sent("POST", "/comments")
    assert bearer(posted) == youtube.issued[0]
    assert len(youtube.renewals()) == 1


def test_an_access_token_about_to_expire_is_renewed_first_and_kept(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    commented(youtube)
    set_expiry(connection, timezone.now() + timedelta(minutes=4))  # within the five minutes
    assert poll(connection) is not None
    _check, second = youtube.renewals()
    assert second.form["grant_type"] == "refresh_token"
    assert second.form["refresh_token"] == REFRESH_TOKEN
    [read] = youtube.sent("GET", "/commentThreads")
    assert bearer(read) == youtube.issued[1]
    connection.refresh_from_db()
    assert connection.session["access_token"] == youtube.issued[1]  # Poll.session, stored by the poll
    # A short-lived token made in a run serves that run: a poll of many pages renews it once.
    youtube.expires_in = 120
    youtube.page_size = 1
    for number in (2, 3, 4):
        commented(youtube, number)
    set_expiry(connection, timezone.now())
    calls = len(youtube.sent("GET", "/commentThreads"))
    assert poll(connection) is not None
    assert len(youtube.sent("GET", "/commentThreads")) > calls + 1
    assert len(youtube.renewals()) == 3
    # Six minutes left is enough: the kept token is used as it is.
    set_expiry(connection, timezone.now() + timedelta(minutes=6))
    poll(connection)
    assert len(youtube.renewals()) == 3


def test_an_answer_after_the_access_token_expired_renews_it_and_keeps_the_new_one(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    commented(youtube)
    poll(connection)
    set_expiry(connection, timezone.now() - timedelta(minutes=1))
    youtube.expire()
    assert answer(Item.objects.get(platform_id=cid(1)), cast) == "done"
    [posted] = youtube.sent("POST", "/comments")  # no refused try first: renewed before the call
    assert bearer(posted) == youtube.issued[1]
    connection.refresh_from_db()
    assert connection.session["access_token"] == youtube.issued[1]  # Done.session, stored by the sender


def test_an_access_token_refused_early_gets_one_more_try_with_a_new_one(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    commented(youtube)
    youtube.expire()  # revoked before its hour was up
    assert poll(connection) is not None
    refused, accepted = youtube.sent("GET", "/commentThreads")
    assert (bearer(refused), bearer(accepted)) == (youtube.issued[0], youtube.issued[1])
    connection.refresh_from_db()
    assert (connection.health, connection.session["access_token"]) == ("active", youtube.issued[1])
    # A write refused for its token was not done: it goes once more, and is made once.
    youtube.expire()
    assert answer(Item.objects.get(platform_id=cid(1)), cast) == "done"
    assert [bearer(r) for r in youtube.sent("POST", "/comments")] == youtube.issued[1:3]
    assert len(youtube.replies[cid(1)]) == 1


def test_a_second_refusal_is_not_tried_again_and_needs_attention(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    youtube.fail("commentThreads", TOKEN_INVALID, TOKEN_INVALID)
    assert poll(connection) is None
    assert len(youtube.sent("GET", "/commentThreads")) == 2
    assert len(youtube.renewals()) == 2  # the check's, and one more after the first 401
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == ("attention", "token_expired")


def test_a_revoked_refresh_token_turns_the_connection_to_needs_attention_kau_resp_daily(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    commented(youtube)
    youtube.revoke()
    now = timezone.now()
    assert poll(connection, now) is None
    assert youtube.renewals()[-1].form["grant_type"] == "refresh_token"
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == ("attention", "token_expired")
    assert "invalid_grant" in connection.last_error
    assert connection.next_poll_at == now + polling.BACKOFF_MAX
    assert not Item.objects.exists()


def test_an_answer_with_a_revoked_refresh_token_fails_with_the_reason(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    commented(youtube)
    poll(connection)
    youtube.revoke()
    assert answer(Item.objects.get(platform_id=cid(1)), cast) == "failed"
    row = Outgoing.objects.get()
    assert "invalid_grant" in row.reason
    assert len(youtube.sent("POST", "/comments")) == 1  # refused with the old token, then no new one
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == ("attention", "token_expired")


def test_the_token_endpoint_failing_is_tried_again_then_backs_off(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    set_expiry(connection, timezone.now())
    down = (503, {"error": "temporarily_unavailable"})
    youtube.fail("token", down, down, down)
    assert poll(connection) is None
    assert len(youtube.renewals()) == 1 + 3
    connection.refresh_from_db()
    assert (connection.health, connection.poll_failures) == ("active", 1)
    assert not youtube.sent("GET", "/commentThreads")


def test_a_silent_token_endpoint_fails_an_answer_it_does_not_leave_it_unknown(
    youtube: YouTubeStandIn, account: Any, cast: Any, settings: Any
) -> None:
    connection = connect(account, cast)
    commented(youtube)
    poll(connection)
    set_expiry(connection, timezone.now())
    settings.CONNECTOR_TIMEOUT = 1.0
    youtube.fail("token", Delay(1.5), Delay(1.5), Delay(1.5))
    assert answer(Item.objects.get(platform_id=cid(1)), cast) == "failed"  # nothing was sent to YouTube
    assert not youtube.sent("POST", "/comments")


def test_reads_by_the_api_key_still_renew_the_refresh_token_once_a_day(
    settings: Any, account: Any, cast: Any
) -> None:
    with youtube_api(settings, client=True, api_key=API_KEY) as youtube:
        connection = connect(account, cast)
        commented(youtube)
        poll(connection)
        [read] = youtube.sent("GET", "/commentThreads")
        assert read.query["key"] == API_KEY
        assert len(youtube.renewals()) == 1
        set_expiry(connection, timezone.now() - timedelta(hours=25))
        poll(connection)
        assert len(youtube.renewals()) == 2
        assert youtube.sent("GET", "/commentThreads")[-1].query["key"] == API_KEY
        connection.refresh_from_db()
        assert connection.session["access_token"] == youtube.issued[1]
        # Revoked: told within a day, not at the next answer.
        youtube.revoke()
        set_expiry(connection, timezone.now() - timedelta(hours=25))
        assert poll(connection) is None
        connection.refresh_from_db()
        assert (connection.health, connection.cause) == ("attention", "token_expired")


def test_the_figures_renew_an_expired_access_token_and_keep_it(
    youtube: YouTubeStandIn, account: Any, cast: Any
) -> None:
    connection = connect(account, cast)
    set_expiry(connection, timezone.now() - timedelta(hours=2))
    connection.refresh_from_db()
    assert ADAPTER.figures(connection)["followers"] == 8900
    connection.refresh_from_db()
    assert connection.session["access_token"] == youtube.issued[1]


# --- Secrets stay secret ----------------------------------------------------------------------------------


def test_no_token_or_secret_appears_in_logs_errors_or_the_history(
    youtube: YouTubeStandIn, account: Any, cast: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    connection = connect(account, cast)
    commented(youtube)
    youtube.expire()
    poll(connection)
    answer(Item.objects.get(platform_id=cid(1)), cast)
    # A token endpoint that echoes what it was sent: its words are kept without the secrets.
    echo = f"refresh_token={REFRESH_TOKEN} client_secret={CLIENT_SECRET}"
    youtube.fail("token", (400, {"error": "invalid_grant", "error_description": echo}))
    set_expiry(connection, timezone.now())
    assert poll(connection) is None
    connection.refresh_from_db()
    assert connection.health == "attention"
    said = [
        caplog.text,
        connection.last_error,
        *(str(row.reason) + str(row.response) for row in Outgoing.objects.all()),
        *(str(event.payload) + event.error for event in Event.objects.all()),
        *(str(vars(row)) for row in Connection.history.all()),
        connection.session_encrypted,
    ]
    secrets = [REFRESH_TOKEN, CLIENT_SECRET, *youtube.issued]
    assert len(youtube.issued) >= 2
    assert not [secret for secret in secrets for text in said if secret in text]
    assert "refresh_token=…" in connection.last_error
    assert youtube.issued[0] not in repr(
        auth.Grant(access_token=youtube.issued[0], expires_at=timezone.now())
    )


# --- Without the client settings --------------------------------------------------------------------------


def test_without_the_client_settings_the_access_token_is_pasted_as_before(
    settings: Any, account: Any, cast: Any, client: Client
) -> None:
    with youtube_api(settings) as youtube:
        in_english(login(client, cast, "communicator"))
        page = client.get(reverse("connectors:account", args=[account.pk])).content.decode()
        assert "OAuth access token" in page
        assert 'data-youtube-token="access"' in page
        assert "YOUTUBE_CLIENT_ID" in page  # how to paste once instead
        connection = connect(account, cast, token=TOKEN)
        assert connection.session == {}
        commented(youtube)
        assert poll(connection) is not None
        assert bearer(youtube.sent("GET", "/commentThreads")[0]) == TOKEN
        youtube.expire(TOKEN)
        assert poll(connection) is None
        assert len(youtube.sent("GET", "/commentThreads")) == 2  # no second try: nothing to renew with
        assert not youtube.renewals()
        connection.refresh_from_db()
        assert (connection.health, connection.cause) == ("attention", "token_expired")


# --- Google's answers, read strictly ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected", "said"),
    [
        (
            400,
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            TokenError,
            "revoked",
        ),
        (
            400,
            {"error": "unauthorized_client", "error_description": "Unauthorized"},
            TokenError,
            "YOUTUBE_CLIENT_ID",
        ),
        (
            401,
            {"error": "invalid_client", "error_description": "The OAuth client was not found."},
            TokenError,
            "YOUTUBE_CLIENT_SECRET",
        ),
        (400, {"error": "unsupported_grant_type"}, Refused, "unsupported_grant_type"),
        (429, {"error": "rate_limit_exceeded"}, Unavailable, "rate_limit_exceeded"),
        (500, "<html>Server Error</html>", Unavailable, "500"),
        (400, {"error": "<script>", "error_description": "<b>fel</b>\x00"}, Refused, "fel"),
    ],
)
def test_the_token_endpoints_errors_are_read_by_their_code(
    status: int, body: Any, expected: type, said: str
) -> None:
    found = auth.classify(status, body, {})
    assert type(found) is expected
    assert said in found.reason
    assert "<" not in found.reason
    assert "\x00" not in found.reason


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in": 3599, "token_type": "Bearer"},
        {"access_token": "ya29.ok\r\nX-Evil: 1", "expires_in": 3599},
        {"access_token": "ya29.ok-token", "expires_in": True},
        {"access_token": "ya29.ok-token", "expires_in": -5},
        {"access_token": "ya29.ok-token"},
        {"access_token": "ya29.ok-token", "expires_in": 3599, "token_type": "mac"},
        ["ya29.ok-token"],
    ],
)
def test_an_unreadable_grant_is_google_failing_never_a_header(body: Any) -> None:
    with pytest.raises(Unavailable):
        auth.grant_of(body, now=timezone.now())


def test_a_grant_believes_a_day_at_most_and_reads_the_scopes() -> None:
    now = timezone.now()
    grant = auth.grant_of(
        {"access_token": "ya29.ok-token", "expires_in": "999999", "scope": f"{SCOPE} <bad> openid"}, now=now
    )
    assert grant.expires_at == now + timedelta(days=1)
    assert grant.scopes == (SCOPE, "openid")


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"YOUTUBE_CLIENT_ID": CLIENT_ID}, "YOUTUBE_CLIENT_SECRET"),
        ({"YOUTUBE_CLIENT_SECRET": CLIENT_SECRET}, "YOUTUBE_CLIENT_ID"),
        ({"YOUTUBE_TOKEN_URL": "ftp://oauth2.googleapis.com/token"}, "YOUTUBE_TOKEN_URL"),
        ({"YOUTUBE_TOKEN_URL": "https://oauth2.googleapis.com/token?x=1"}, "YOUTUBE_TOKEN_URL"),
    ],
)
def test_the_client_settings_are_checked_at_start(env: dict[str, str], problem: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("YOUTUBE_")}
    started = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode != 0
    assert "EnvironmentConfigError" in started.stderr
    assert problem in started.stderr
