"""Sessions: the idle and absolute limits, the session index, and the end of every session of a person
who is deactivated, whichever way the deactivation is made."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import sessions
from core.models import User, UserSession
from tests.conftest import Cast
from tests.core.test_settings import run_python
from tests.support import admin_deactivation

pytestmark = pytest.mark.postgres


def sign_in(client: Client, username: str) -> Any:
    """Through the real sign-in form, with the cast's password."""
    response = client.post(
        reverse("login"), {"username": username, "password": f"pw-{username}-0123"}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def set_stamps(client: Client, *, started_ago: int, seen_ago: int) -> None:
    """Age the signed-in session: the stamps are plain data in the stored session."""
    session = client.session
    now = int(time.time())
    session[sessions.STARTED_AT] = now - started_ago
    session[sessions.SEEN_AT] = now - seen_ago
    session.save()


def signed_in_for(client: Client, *, started_ago: int, seen_ago: int) -> str | None:
    """Signs the communicator in and ages the session; its key."""
    sign_in(client, "communicator")
    set_stamps(client, started_ago=started_ago, seen_ago=seen_ago)
    return client.session.session_key


def session_exists(key: str | None) -> bool:
    return Session.objects.filter(session_key=key).exists()


def test_signing_in_indexes_the_session_under_the_person_and_stamps_its_start(
    client: Client, cast: Cast
) -> None:
    before = int(time.time())
    sign_in(client, "communicator")
    key = client.session.session_key
    assert key is not None
    assert UserSession.objects.filter(user=cast["communicator"], session_key=key).count() == 1
    assert before <= client.session[sessions.STARTED_AT] <= int(time.time())
    assert client.session[sessions.SEEN_AT] == client.session[sessions.STARTED_AT]


def test_a_session_idle_for_30_minutes_is_signed_out_with_a_message_on_the_sign_in_page(
    client: Client, cast: Cast, settings: Any
) -> None:
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    key = signed_in_for(client, started_ago=3600, seen_ago=30 * 60 + 1)

    response = client.get(reverse("core:home"), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert response.wsgi_request.path == reverse("login")
    page = response.content.decode()
    assert 'class="messages"' in page
    assert "30" in page
    assert not response.wsgi_request.user.is_authenticated
    assert not session_exists(key)
    assert not UserSession.objects.filter(session_key=key).exists()


def test_the_idle_message_is_in_english_when_english_is_chosen(client: Client, cast: Cast) -> None:
    signed_in_for(client, started_ago=3600, seen_ago=31 * 60)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("core:home"), follow=True).content.decode()
    assert "You were signed out after 30 minutes without activity. Please sign in again." in page


def test_activity_inside_the_limits_keeps_the_session_and_moves_its_last_use(
    client: Client, cast: Cast
) -> None:
    signed_in_for(client, started_ago=11 * 3600, seen_ago=29 * 60)
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert time.time() - client.session[sessions.SEEN_AT] < 60
    assert time.time() - client.session[sessions.STARTED_AT] >= 11 * 3600  # the start never moves


def test_last_use_is_written_at_most_once_a_minute(client: Client, cast: Cast) -> None:
    signed_in_for(client, started_ago=100, seen_ago=10)
    seen = client.session[sessions.SEEN_AT]
    assert client.get(reverse("core:home")).status_code == 200
    assert client.session[sessions.SEEN_AT] == seen


def test_a_session_is_signed_out_12_hours_after_sign_in_however_active(
    client: Client, cast: Cast, settings: Any
) -> None:
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    key = signed_in_for(client, started_ago=12 * 3600, seen_ago=5)
    client.cookies["django_language"] = "en"

    response = client.get(reverse("core:home"), follow=True)

    assert response.wsgi_request.path == reverse("login")
    assert "You were signed out because you signed in 12 hours ago." in response.content.decode()
    assert not session_exists(key)


def test_the_limits_follow_the_settings(client: Client, cast: Cast, settings: Any) -> None:
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    signed_in_for(client, started_ago=600, seen_ago=5 * 60 + 1)
    assert client.get(reverse("core:home"))["Location"].startswith(reverse("login"))


def test_the_limits_are_read_from_the_environment(tmp_path: Path) -> None:
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_IDLE_TIMEOUT, s.SESSION_COOKIE_AGE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE)",
        {"SESSION_IDLE_TIMEOUT": "900", "SESSION_COOKIE_AGE": "28800"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["900", "28800", "True", "Lax"]


# --- Deactivation ends every session ------------------------------------------------------------------


def signed_in_clients(username: str, count: int) -> list[Client]:
    clients = [Client() for _ in range(count)]
    for one in clients:
        sign_in(one, username)
    return clients


def assert_signed_out(clients: list[Client], keys: list[str | None]) -> None:
    for one, key in zip(clients, keys, strict=True):
        assert not session_exists(key)
        assert one.get(reverse("core:home"))["Location"].startswith(reverse("login"))


def test_deactivating_a_person_by_saving_ends_all_their_sessions_and_no_one_elses(cast: Cast) -> None:
    clients = signed_in_clients("communicator", 3)
    keys = [one.session.session_key for one in clients]
    (colleague,) = signed_in_clients("deputy", 1)
    assert UserSession.objects.filter(user=cast["communicator"]).count() == 3

    person = User.objects.get(username="communicator")
    person.is_active = False
    person.save()

    assert_signed_out(clients, keys)
    assert not UserSession.objects.filter(user=cast["communicator"]).exists()
    assert colleague.get(reverse("core:home")).status_code == 200


def test_deactivation_by_the_service_ends_all_sessions(cast: Cast) -> None:
    """KAU-RESP-OWNER: accounts.people.deactivate_person, the path of the admin and the sweep."""
    from accounts.people import deactivate_person

    clients = signed_in_clients("communicator", 2)
    keys = [one.session.session_key for one in clients]
    deactivate_person(cast["communicator"], by=None, now=timezone.now())
    assert_signed_out(clients, keys)


def test_deactivation_in_the_admin_ends_all_sessions(client: Client, cast: Cast) -> None:
    clients = signed_in_clients("communicator", 2)
    keys = [one.session.session_key for one in clients]
    url, data = admin_deactivation(client, cast, "communicator")
    assert client.post(url, data).status_code == 302
    assert_signed_out(clients, keys)


def test_deactivation_in_the_admin_tells_the_heads_of_the_accounts_left_behind(
    client: Client, cast: Cast, make_account: Any
) -> None:
    """KAU-RESP-OWNER: the admin (core) announces core.events.person_deactivated; accounts listens and
    tells the head of unit and the social media lead at once, not at the next hourly sweep."""
    from core.models import Notification

    account = make_account(owner="communicator")
    person = cast["communicator"]
    url, data = admin_deactivation(client, cast, "communicator")
    assert client.post(url, data).status_code == 302
    told = set(
        Notification.objects.filter(key__startswith=f"person-left:{account.pk}:{person.pk}:").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"head_of_unit", "social_media_lead"}
    assert client.get(reverse("core:home")).status_code == 200  # the admin's own session is untouched


def test_deactivation_from_a_management_command_ends_all_sessions(cast: Cast) -> None:
    clients = signed_in_clients("communicator", 2)
    keys = [one.session.session_key for one in clients]
    call_command(
        "shell",
        command=(
            "from core.models import User; u = User.objects.get(username='communicator'); "
            "u.is_active = False; u.save(update_fields=['is_active'])"
        ),
        stdout=StringIO(),
    )
    assert_signed_out(clients, keys)


def test_a_bulk_update_that_skips_signals_still_ends_the_session_at_the_next_request(cast: Cast) -> None:
    (one,) = signed_in_clients("communicator", 1)
    key = one.session.session_key
    User.objects.filter(username="communicator").update(is_active=False)
    assert session_exists(key)  # no signal: the row is still there ...
    assert one.get(reverse("core:home"))["Location"].startswith(reverse("login"))
    stored = Session.objects.filter(session_key=key).first()
    assert stored is None or SESSION_KEY not in stored.get_decoded()  # ... but names nobody any more


def test_a_session_whose_key_changed_on_a_password_change_is_still_ended(client: Client, cast: Cast) -> None:
    """update_session_auth_hash gives the session a new key; the index follows it."""
    admin = cast["staff"]
    admin.set_password("pw-staff-0123")
    admin.save()
    sign_in(client, "staff")
    old_key = client.session.session_key
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": "pw-staff-0123",
            "new_password1": "Ny-lösen-9876!",
            "new_password2": "Ny-lösen-9876!",
        },
    )
    assert response.status_code == 302
    new_key = client.session.session_key
    assert new_key != old_key
    assert UserSession.objects.filter(user=admin, session_key=new_key).exists()

    admin.refresh_from_db()
    admin.is_active = False
    admin.save()
    assert not session_exists(new_key)


def test_signing_out_forgets_the_index_row(client: Client, cast: Cast) -> None:
    sign_in(client, "communicator")
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(session_key=key).exists()


def test_saving_an_active_person_ends_nothing(cast: Cast) -> None:
    (one,) = signed_in_clients("communicator", 1)
    person = cast["communicator"]
    person.first_name = "Kim"
    person.save()
    assert one.get(reverse("core:home")).status_code == 200


def test_the_nightly_sweep_forgets_index_rows_older_than_the_absolute_lifetime(cast: Cast) -> None:
    from core.services import clear_expired_sessions

    now = timezone.now()
    person = cast["communicator"]
    old = UserSession.objects.create(user=person, session_key="o" * 32, created_at=now - timedelta(hours=13))
    young = UserSession.objects.create(
        user=person, session_key="y" * 32, created_at=now - timedelta(hours=11)
    )
    clear_expired_sessions()
    assert not UserSession.objects.filter(pk=old.pk).exists()
    assert UserSession.objects.filter(pk=young.pk).exists()
