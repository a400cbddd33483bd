"""The connectors' API tokens: the services, the management commands, and the social media lead's
page to issue and revoke them (with the secret shown once)."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from moderation import tokens
from moderation.models import ApiToken
from tests.conftest import Cast
from tests.moderation.conftest import NOW
from tests.support import login

# --- Services -------------------------------------------------------------------------------------------


def test_issue_token_stores_only_the_hash_and_records_who(cast: Cast, account: Account) -> None:
    lead = cast["social_media_lead"]
    token, secret = tokens.issue_token(name=" Instagram ", accounts=[account], by=lead, now=NOW)

    assert secret.startswith("kv_")
    assert len(secret) > 40
    assert token.name == "Instagram"
    assert token.prefix == secret[: len(token.prefix)]
    assert len(token.prefix) <= 12
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in ApiToken.objects.values().get(pk=token.pk).values())
    assert list(token.accounts.all()) == [account]
    assert not token.all_accounts
    assert (token.created_at, token.created_by) == (NOW, lead)
    history = token.history.get()
    assert (history.history_user, history.history_change_reason) == (lead, "issued")


def test_two_tokens_never_share_a_secret(cast: Cast) -> None:
    _first, one = tokens.issue_token(name="A", all_accounts=True, by=None, now=NOW)
    _second, two = tokens.issue_token(name="B", all_accounts=True, by=None, now=NOW)
    assert one != two


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  ", "all_accounts": True}, "name"),
        ({"name": "x", "all_accounts": False}, "accounts"),
        ({"name": "x", "all_accounts": True, "with_account": True}, "accounts"),
        ({"name": "x" * 101, "all_accounts": True}, "name"),
    ],
)
def test_issue_token_refuses_a_bad_name_or_scope(
    account: Account, kwargs: dict[str, Any], field: str
) -> None:
    accounts = [account] if kwargs.pop("with_account", False) else []
    with pytest.raises(ValidationError) as caught:
        tokens.issue_token(accounts=accounts, by=None, now=NOW, **kwargs)
    assert field in caught.value.message_dict
    assert not ApiToken.objects.exists()


def test_authenticate_knows_the_secret_and_nothing_else(cast: Cast) -> None:
    token, secret = tokens.issue_token(name="A", all_accounts=True, by=None, now=NOW)

    assert tokens.authenticate(secret, now=NOW) == token
    assert tokens.authenticate(secret + "x", now=NOW) is None
    assert tokens.authenticate(secret[:-1], now=NOW) is None
    assert tokens.authenticate("", now=NOW) is None
    assert tokens.authenticate(token.secret_hash, now=NOW) is None  # the hash is not a key
    assert tokens.authenticate("kv_" + "å" * 10, now=NOW) is None
    assert tokens.authenticate("x" * 5000, now=NOW) is None


def test_a_revoked_token_no_longer_authenticates(cast: Cast) -> None:
    lead = cast["social_media_lead"]
    token, secret = tokens.issue_token(name="A", all_accounts=True, by=lead, now=NOW)

    revoked = tokens.revoke_token(token, by=lead, now=NOW + timedelta(hours=1))

    assert (revoked.revoked_at, revoked.revoked_by) == (NOW + timedelta(hours=1), lead)
    assert tokens.authenticate(secret, now=NOW) is None
    assert token.history.latest().history_change_reason == "revoked"


def test_revoking_twice_keeps_the_first_revocation(cast: Cast) -> None:
    token, _secret = tokens.issue_token(name="A", all_accounts=True, by=None, now=NOW)
    tokens.revoke_token(token, by=cast["social_media_lead"], now=NOW)
    history = token.history.count()

    again = tokens.revoke_token(token, by=cast["staff"], now=NOW + timedelta(days=1))

    assert (again.revoked_at, again.revoked_by) == (NOW, cast["social_media_lead"])
    assert token.history.count() == history


def test_last_used_is_written_at_most_once_a_minute_without_history(cast: Cast) -> None:
    token, secret = tokens.issue_token(name="A", all_accounts=True, by=None, now=NOW)
    history = token.history.count()

    tokens.authenticate(secret, now=NOW)
    token.refresh_from_db()
    assert token.last_used_at == NOW

    with CaptureQueriesContext(connection) as queries:
        tokens.authenticate(secret, now=NOW + timedelta(seconds=59))
    assert len(queries) == 1  # the lookup only, no UPDATE
    token.refresh_from_db()
    assert token.last_used_at == NOW

    tokens.authenticate(secret, now=NOW + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == NOW + timedelta(seconds=61)
    assert token.history.count() == history


def test_may_write_follows_the_scope(cast: Cast, account: Account, make_account: Any) -> None:
    other = make_account()
    scoped, _one = tokens.issue_token(name="A", accounts=[account], by=None, now=NOW)
    every, _two = tokens.issue_token(name="B", all_accounts=True, by=None, now=NOW)

    assert tokens.may_write(scoped, account)
    assert not tokens.may_write(scoped, other)
    assert tokens.may_write(every, other)
    revoked = tokens.revoke_token(every, by=None, now=NOW)
    assert not tokens.may_write(revoked, other)


# --- Management commands -----------------------------------------------------------------------------------


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_issue_api_token_prints_a_working_secret_for_every_account(cast: Cast) -> None:
    secret = run("issue_api_token", "Facebook-koppling").strip()

    token = tokens.authenticate(secret, now=NOW)
    assert token is not None
    assert token.name == "Facebook-koppling"
    assert token.all_accounts
    assert token.created_by is None
    assert ApiToken.objects.get().secret_hash != secret


def test_issue_api_token_for_named_accounts(cast: Cast, account: Account, make_account: Any) -> None:
    other = make_account()
    secret = run(
        "issue_api_token", "Två konton", "--account", str(account.pk), "--account", str(other.pk)
    ).strip()

    token = tokens.authenticate(secret, now=NOW)
    assert token is not None
    assert not token.all_accounts
    assert set(token.accounts.all()) == {account, other}


def test_issue_api_token_names_an_unknown_account(cast: Cast, account: Account) -> None:
    missing = account.pk + 1000
    with pytest.raises(CommandError, match=str(missing)):
        run("issue_api_token", "X", "--account", str(account.pk), "--account", str(missing))
    assert not ApiToken.objects.exists()


def test_revoke_api_token_by_prefix_and_by_id(cast: Cast) -> None:
    first, one = tokens.issue_token(name="A", all_accounts=True, by=None, now=NOW)
    second, two = tokens.issue_token(name="B", all_accounts=True, by=None, now=NOW)

    assert "Revoked" in run("revoke_api_token", first.prefix)
    assert "Revoked" in run("revoke_api_token", str(second.pk))
    assert "already" in run("revoke_api_token", str(second.pk))

    assert tokens.authenticate(one, now=NOW) is None
    assert tokens.authenticate(two, now=NOW) is None


def test_revoke_api_token_refuses_an_unknown_token(cast: Cast) -> None:
    with pytest.raises(CommandError, match="kv_nothing"):
        run("revoke_api_token", "kv_nothing")


# --- The page: who may open it ----------------------------------------------------------------------------

PEOPLE = [
    "anonymous",
    "outsider",
    "communicator",
    "deputy",
    "head_of_unit",
    "communications",
    "registrar",
    "security_officer",
    "staff",
    "social_media_lead",
]


def issue_data(account: Account | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "Instagram-koppling", "accounts": [str(account.pk)] if account else []}
    data.update(overrides)
    return data


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_social_media_lead_opens_the_token_page(client: Client, cast: Cast, person: str) -> None:
    login(client, cast, person)
    response = client.get(reverse("moderation:tokens"))
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif person == "social_media_lead":
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_social_media_lead_issues_a_token(
    client: Client, cast: Cast, account: Account, person: str
) -> None:
    login(client, cast, person)
    response = client.post(reverse("moderation:tokens"), issue_data(account))
    expected = {"anonymous": 302, "social_media_lead": 200}.get(person, 403)
    assert response.status_code == expected
    assert ApiToken.objects.exists() == (person == "social_media_lead")


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_social_media_lead_revokes_a_token(client: Client, cast: Cast, person: str) -> None:
    token, _secret = tokens.issue_token(name="A", all_accounts=True, by=None, now=NOW)
    login(client, cast, person)

    response = client.post(reverse("moderation:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    if person == "social_media_lead":
        assert response.status_code == 302
        assert response["Location"] == reverse("moderation:tokens")
        assert token.revoked_by == cast["social_media_lead"]
    else:
        assert response.status_code == (302 if person == "anonymous" else 403)
        assert token.revoked_at is None


# --- The page: issuing and revoking -----------------------------------------------------------------------


def test_issued_secret_is_shown_once(client: Client, cast: Cast, account: Account) -> None:
    client.force_login(cast["social_media_lead"])

    response = client.post(reverse("moderation:tokens"), issue_data(account))

    secret = response.context["secret"]
    token = response.context["issued"]
    assert secret.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert list(token.accounts.all()) == [account]
    assert token.created_by == cast["social_media_lead"]
    assert tokens.authenticate(secret, now=NOW) == token

    later = client.get(reverse("moderation:tokens"))
    assert secret.encode() not in later.content
    assert "secret" not in later.context
    assert token.prefix.encode() in later.content


def test_issue_for_every_account(client: Client, cast: Cast) -> None:
    client.force_login(cast["social_media_lead"])
    response = client.post(reverse("moderation:tokens"), issue_data(every_account="on"))
    assert response.status_code == 200
    assert ApiToken.objects.get().all_accounts


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"accounts": []}, "accounts"),
        ({"every_account": "on"}, "accounts"),  # and accounts chosen: one or the other
        ({"accounts": ["999999"]}, "accounts"),
    ],
)
def test_bad_input_is_400_with_the_field_named_and_nothing_issued(
    client: Client, cast: Cast, account: Account, overrides: dict[str, Any], field: str
) -> None:
    client.force_login(cast["social_media_lead"])
    response = client.post(reverse("moderation:tokens"), issue_data(account, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "secret" not in response.context
    assert not ApiToken.objects.exists()


def test_a_closed_account_is_not_offered(
    client: Client, cast: Cast, account: Account, make_account: Any
) -> None:
    closed = make_account()
    Account.objects.filter(pk=closed.pk).update(status=Account.Status.CLOSED, closed_at=NOW)
    client.force_login(cast["social_media_lead"])
    choices = client.get(reverse("moderation:tokens")).context["form"].fields["accounts"].queryset
    assert account in choices
    assert closed not in choices


def test_revoke_is_post_only(client: Client, cast: Cast) -> None:
    token, _secret = tokens.issue_token(name="A", all_accounts=True, by=None, now=NOW)
    client.force_login(cast["social_media_lead"])
    assert client.get(reverse("moderation:token_revoke", args=[token.pk])).status_code == 405
    assert client.post(reverse("moderation:token_revoke", args=[token.pk + 1000])).status_code == 404


def test_the_list_shows_scope_use_and_revocation(client: Client, cast: Cast, account: Account) -> None:
    scoped, secret = tokens.issue_token(
        name="Ett konto", accounts=[account], by=cast["social_media_lead"], now=NOW
    )
    every, _two = tokens.issue_token(name="Alla konton", all_accounts=True, by=None, now=NOW)
    tokens.authenticate(secret, now=NOW)
    tokens.revoke_token(every, by=cast["social_media_lead"], now=NOW)
    client.force_login(cast["social_media_lead"])

    response = client.get(reverse("moderation:tokens"))

    content = response.content.decode()
    assert account.name in content
    assert scoped.prefix in content
    assert reverse("moderation:token_revoke", args=[scoped.pk]) in content
    assert reverse("moderation:token_revoke", args=[every.pk]) not in content  # already revoked
    assert content.count("<time") >= 4  # issued twice, last used, revoked


def _bulk_tokens(account: Account, count: int, start: int) -> None:
    for number in range(start, start + count):
        tokens.issue_token(name=f"Koppling {number}", accounts=[account], by=None, now=NOW)


def test_the_list_has_a_fixed_number_of_queries(client: Client, cast: Cast, account: Account) -> None:
    client.force_login(cast["social_media_lead"])
    _bulk_tokens(account, 2, 0)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("moderation:tokens")).status_code == 200
    _bulk_tokens(account, 20, 2)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("moderation:tokens")).status_code == 200
    assert len(small) == len(large)
