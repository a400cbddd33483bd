"""A connection's health: needs attention with a cause, told to the owner, the deputies and the social
media lead once per cause and episode (KAU-RESP-DAILY), history on every change of health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from connectors import health
from connectors.models import Connection
from core.models import Notification
from tests.connectors.graph_standin import connect

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def connection(make_account: Any) -> Connection:
    return connect(make_account(platform="facebook_page"))


def told() -> list[Notification]:
    return list(Notification.objects.filter(kind="connection_attention").order_by("pk"))


def test_attention_tells_owner_deputies_and_lead_once_per_cause_kau_resp_daily(
    connection: Connection, cast: Any
) -> None:
    health.mark_attention(connection, cause="token_expired", reason="Session has expired", now=NOW)
    health.mark_attention(
        connection, cause="token_expired", reason="Session has expired", now=NOW + timedelta(hours=1)
    )
    assert {n.recipient for n in told()} == {cast["communicator"], cast["deputy"], cast["social_media_lead"]}
    assert len(told()) == 3
    connection.refresh_from_db()
    assert (connection.health, connection.cause, connection.last_error_at) == (
        "attention",
        "token_expired",
        NOW + timedelta(hours=1),
    )


def test_a_second_cause_in_the_same_episode_tells_again(connection: Connection) -> None:
    health.mark_attention(connection, cause="token_expired", reason="expired", now=NOW)
    health.mark_attention(connection, cause="permission", reason="(#200) pages_messaging", now=NOW)
    assert len(told()) == 6


def test_a_recovery_and_a_new_failure_tell_again(connection: Connection) -> None:
    health.mark_attention(connection, cause="token_expired", reason="expired", now=NOW)
    health.mark_success(connection, now=NOW + timedelta(hours=1))
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == ("active", "")
    health.mark_attention(
        connection, cause="token_expired", reason="expired again", now=NOW + timedelta(days=1)
    )
    assert len(told()) == 6


def test_every_change_of_health_is_in_the_history(connection: Connection) -> None:
    before = connection.history.count()
    health.mark_attention(connection, cause="unpublished", reason="gone", now=NOW)
    health.mark_attention(connection, cause="unpublished", reason="gone", now=NOW)  # no change of health
    health.mark_success(connection, now=NOW)
    health.mark_success(connection, now=NOW)  # healthy already
    rows = list(connection.history.order_by("history_id"))[before:]
    assert [(r.health, r.cause, r.history_change_reason) for r in rows] == [
        ("attention", "unpublished", "needs attention: unpublished"),
        ("active", "", "healthy again"),
    ]


def test_the_notice_is_in_the_institutions_language(connection: Connection, settings: Any) -> None:
    """Swedish by the templates' translations, whatever language the caller was in."""
    with translation.override("en"):
        health.mark_attention(connection, cause="token_expired", reason="Session has expired", now=NOW)
    notice = told()[0]
    with translation.override(settings.LANGUAGE_CODE):
        subject = translation.gettext("Kanalvakt: the connection of %(account)s needs attention") % {
            "account": connection.account.name
        }
        cause = str(Connection.Cause.TOKEN_EXPIRED.label)
    assert notice.subject == subject
    assert cause in notice.body
    assert "Session has expired" in notice.body
    assert "KAU-RESP-DAILY" in notice.body


def test_a_disconnected_connection_is_left_as_it_is(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(disconnected_at=NOW)
    health.mark_attention(connection, cause="token_expired", reason="expired", now=NOW)
    assert told() == []


def test_a_missing_token_is_not_cleared_by_a_success(connection: Connection) -> None:
    connection.token_encrypted = ""
    connection.save()
    health.mark_attention(connection, cause="no_token", reason="no token", now=NOW)
    health.mark_success(connection, now=NOW)
    connection.refresh_from_db()
    assert connection.cause == "no_token"


def test_an_event_is_noted_without_history(connection: Connection) -> None:
    before = connection.history.count()
    health.noted_event(connection, now=NOW)
    connection.refresh_from_db()
    assert connection.last_event_at == NOW
    assert connection.history.count() == before


def test_a_success_clears_only_the_causes_it_disproves(connection: Connection) -> None:
    health.mark_attention(connection, cause="permission", reason="(#200) pages_messaging", now=NOW)
    health.mark_success(connection, now=NOW, clears=("token_expired", "unpublished"))
    connection.refresh_from_db()
    assert connection.cause == "permission"
    health.mark_success(connection, now=NOW)
    connection.refresh_from_db()
    assert (connection.health, connection.cause) == ("active", "")
