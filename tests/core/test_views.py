"""Every view of the foundation against every role: deny by default, 403 or 404 where not allowed."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.support import INSTITUTION_SETTINGS, admin_deactivation

ROLES = [
    "communicator",
    "deputy",
    "head_of_unit",
    "other_head",
    "communications",
    "social_media_lead",
    "registrar",
    "security_officer",
    "outsider",
]


def get(client: Any, cast: Cast, person: str | None, url: str) -> Any:
    if person:
        client.force_login(cast[person])
    return client.get(url)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name", ["core:home", "governance:unit_list", "governance:settings", "accounts:list"]
)
def test_anonymous_visitors_are_sent_to_login(client: Any, url_name: str) -> None:
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_public_views_need_no_login(client: Any) -> None:
    assert client.get(reverse("login")).status_code == 200
    health = client.get(reverse("core:health"))
    assert health.status_code == 200
    assert health.json()["database"] == "ok"


@pytest.mark.parametrize("person", ROLES)
def test_everyone_signed_in_has_a_start_page_and_the_organisation(
    client: Any, cast: Cast, person: str
) -> None:
    assert get(client, cast, person, reverse("core:home")).status_code == 200
    assert client.get(reverse("governance:unit_list")).status_code == 200
    assert (
        client.get(reverse("governance:unit_detail", args=[cast.units["department"].pk])).status_code == 200
    )


@pytest.mark.parametrize(
    ("person", "expected"), [(p, 200 if p == "social_media_lead" else 403) for p in ROLES]
)
def test_only_the_social_media_lead_edits_institution_settings(
    client: Any, cast: Cast, person: str, expected: int
) -> None:
    assert get(client, cast, person, reverse("governance:settings")).status_code == expected
    response = client.post(reverse("governance:settings"), {"institution_name": "Hackat"})
    assert response.status_code == (400 if expected == 200 else 403)
    from core.models import InstitutionSettings

    assert InstitutionSettings.objects.get_solo().institution_name == "Karlstads universitet"


def test_settings_are_saved_with_history_and_bad_input_changes_nothing(client: Any, cast: Cast) -> None:
    from core.models import InstitutionSettings

    client.force_login(cast["social_media_lead"])
    valid = INSTITUTION_SETTINGS
    bad = {**valid, "response_due_hours": 50, "social_media_address": "inte en adress"}
    response = client.post(reverse("governance:settings"), bad)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"response_limit_hours", "social_media_address"}
    assert InstitutionSettings.objects.get_solo().response_due_hours == 24

    response = client.post(reverse("governance:settings"), {**valid, "response_due_hours": 16})
    assert response.status_code == 302
    saved = InstitutionSettings.objects.get_solo()
    assert saved.response_due_hours == 16
    assert saved.history.latest().history_user == cast["social_media_lead"]


def test_unknown_unit_is_404(client: Any, cast: Cast) -> None:
    client.force_login(cast["communicator"])
    assert client.get(reverse("governance:unit_detail", args=[99999])).status_code == 404


def test_start_page_lists_unanswered_items_of_my_accounts_only(
    client: Any, cast: Cast, make_account: Any
) -> None:
    from datetime import UTC, datetime

    from moderation.services import log_item

    mine = make_account(name="Mitt konto")
    theirs = make_account(unit="other", owner="other_head", deputies=("outsider",), name="Annat konto")
    received = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    log_item(
        mine, kind="comment", author="@elin", text="När öppnar antagningen?", received_at=received, by=None
    )
    log_item(theirs, kind="comment", author="@olle", text="Hemlig fråga", received_at=received, by=None)

    for person in ("communicator", "deputy"):
        client.force_login(cast[person])
        body = client.get(reverse("core:home")).content.decode()
        assert "När öppnar antagningen?" in body
        assert "Hemlig fråga" not in body
    client.force_login(cast["registrar"])
    assert "När öppnar antagningen?" not in client.get(reverse("core:home")).content.decode()


def test_navigation_follows_roles(client: Any, cast: Cast) -> None:
    def keys(person: str) -> set[str]:
        client.force_login(cast[person])
        return {item["key"] for item in client.get(reverse("core:home")).context["nav_items"]}

    assert keys("communicator") == {
        "home",
        "queue",
        "requests",
        "absences",
        "my_accounts",
        "organisation",
        "policy",
        "ambassadors",
        "campaigns",
        "consents",
    }
    assert keys("social_media_lead") == {
        "home",
        "cases",
        "replies",
        "consents",
        "crisis",
        "queue",
        "requests",
        "campaigns",
        "absences",
        "ambassadors",
        "report",
        "tokens",
        "connections",
        "archive",
        "secrecy",
        "closing",
        "accounts",
        "organisation",
        "settings",
        "policy",
    }
    assert keys("registrar") == {
        "home",
        "queue",
        "requests",
        "absences",
        "ambassadors",
        "accounts",
        "registry_queue",
        "archive",
        "secrecy",
        "retention",
        "organisation",
        "policy",
    }
    # KAU-THREAT: the security officer sees the threat cases and his tasks, nothing he never uses.
    assert keys("security_officer") == {"home", "cases", "policy"}
    assert "report" in keys("head_of_unit")  # KAU-RESP-MANAGER: heads read their units' response times
    assert "consents" in keys("head_of_unit")  # KAU-CONSENT: heads use the consent register too
    assert "admin" in keys("staff")


@pytest.mark.django_db
def test_swedish_is_the_default_whatever_the_browser_asks_and_the_switch_chooses_english(client: Any) -> None:
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="sv">' in response.content.decode()
    assert "Logga in" in response.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="sv-SE")
    assert '<html lang="en">' in response.content.decode()
    assert "Sign in" in response.content.decode()


def test_deactivating_an_owner_in_the_admin_tells_the_head_and_the_lead_at_once(
    client: Any, cast: Cast, make_account: Any
) -> None:
    """KAU-RESP-OWNER: a deactivated owner is reported the same moment, not at the next sweep."""
    from core.models import Notification

    account = make_account()
    owner = cast["communicator"]
    url, data = admin_deactivation(client, cast, "communicator")
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    owner.refresh_from_db()
    assert not owner.is_active
    told = set(
        Notification.objects.filter(key__startswith=f"person-left:{account.pk}:").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"head_of_unit", "social_media_lead"} <= told


def test_the_start_page_puts_what_is_due_in_working_hours_first(
    client: Any, cast: Cast, make_account: Any
) -> None:
    """KAU-RESPONSE-DEADLINE: questions waiting for an answer come before drafts and follow-ups."""
    from datetime import UTC, datetime

    from governance import services as governance_services
    from moderation.services import log_item

    account = make_account()
    log_item(
        account,
        kind="comment",
        author="@elin",
        text="Fråga?",
        received_at=datetime(2026, 11, 24, 9, tzinfo=UTC),
        by=None,
    )
    governance_services.save_draft(
        None,
        by=cast["communicator"],
        data={"unit": cast.units["department"], "platform": "instagram", "name": "Utkast"},
        deputies=[],
        now=datetime(2026, 11, 24, 9, tzinfo=UTC),
    )
    client.force_login(cast["communicator"])
    keys = [section.key for section in client.get(reverse("core:home")).context["sections"]]
    assert keys.index("items") < keys.index("requests-mine")
