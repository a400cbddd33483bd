"""Crisis mode's pages (KAU-CRISIS, KTH-COMPLEMENT, KAU-ACCESS): declaring, the banner on every
signed-in page and what it costs, the crisis on the queues, its saved replies offered first on an item,
the log, the ending, and the usual alerts during a crisis (KAU-THREAT, KAU-DREV). Who may open which
page is also in tests/core/test_access_matrix.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Notification
from moderation import crisis as crises
from moderation import services
from moderation.models import Alert, Crisis, CrisisLogEntry
from moderation.services import Triage
from tests.conftest import Cast
from tests.support import in_english

pytestmark = pytest.mark.django_db

WEBSITE = "https://www.kau.se/kris"
EVERYONE = [
    "communicator",
    "deputy",
    "head_of_unit",
    "communications",
    "social_media_lead",
    "registrar",
    "security_officer",
    "outsider",
]


def declare(cast: Cast, **extra: Any) -> Crisis:
    fields: dict[str, Any] = {
        "title": "Brand i hus 21",
        "what_happened": "Hus 21 är utrymt.",
        "website_url": WEBSITE,
    }
    fields.update(extra)
    return crises.declare_crisis(**fields, by=cast["social_media_lead"], now=timezone.now())


def end(cast: Cast, crisis: Crisis) -> None:
    crises.end_crisis(crisis, summary="Över.", by=cast["social_media_lead"], now=timezone.now())


# --- Declaring ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["social_media_lead", "communications"])
def test_the_lead_and_communications_declare_from_the_page_kau_crisis(
    client: Client, cast: Cast, make_account: Any, person: str
) -> None:
    make_account()
    client.force_login(cast[person])
    assert client.get(reverse("moderation:crisis_declare")).status_code == 200
    response = client.post(
        reverse("moderation:crisis_declare"),
        {"title": "Brand", "what_happened": "Hus 21 utrymt.", "website_url": WEBSITE, "intranet_url": ""},
    )
    crisis = Crisis.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:crisis", args=[crisis.pk])
    assert Notification.objects.filter(kind="crisis").count() == 2  # the owner and the deputy


def test_declaring_without_the_website_link_is_refused_on_the_field_kth_complement(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast["social_media_lead"])
    response = in_english(client).post(
        reverse("moderation:crisis_declare"),
        {"title": "Brand", "what_happened": "Hus 21 utrymt.", "website_url": "", "intranet_url": ""},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["website_url"]
    response = client.post(
        reverse("moderation:crisis_declare"),
        {"title": "Brand", "what_happened": "x", "website_url": "http://www.kau.se/", "intranet_url": ""},
    )
    assert response.status_code == 400
    assert "https" in response.context["form"].errors["website_url"][0]
    assert not Crisis.objects.exists()


def test_a_second_crisis_is_refused_above_the_form_kau_crisis(client: Client, cast: Cast) -> None:
    declare(cast)
    client.force_login(cast["communications"])
    response = in_english(client).post(
        reverse("moderation:crisis_declare"),
        {"title": "Till", "what_happened": "x", "website_url": WEBSITE, "intranet_url": ""},
    )
    assert response.status_code == 400
    assert "already active" in " ".join(response.context["form"].non_field_errors())
    assert Crisis.objects.count() == 1


@pytest.mark.parametrize(
    "person", ["communicator", "deputy", "head_of_unit", "registrar", "security_officer"]
)
def test_nobody_else_declares_or_ends_kau_crisis(client: Client, cast: Cast, person: str) -> None:
    crisis = declare(cast)
    client.force_login(cast[person])
    assert client.get(reverse("moderation:crisis_declare")).status_code == 403
    assert (
        client.post(reverse("moderation:crisis_end", args=[crisis.pk]), {"end-summary": "x"}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("moderation:crisis_reply_add", args=[crisis.pk]), {"reply-title": "x", "reply-text": "y"}
        ).status_code
        == 403
    )
    crisis.refresh_from_db()
    assert crisis.is_active


# --- The banner ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", EVERYONE)
def test_every_signed_in_person_sees_the_banner_and_reads_the_crisis_kau_crisis(
    client: Client, cast: Cast, person: str
) -> None:
    crisis = declare(cast)
    client.force_login(cast[person])
    for url in (reverse("core:home"), reverse("governance:unit_list"), reverse("moderation:crises")):
        body = client.get(url).content.decode()
        assert 'data-banner="crisis"' in body
        assert 'role="alert"' in body
        assert f'href="{WEBSITE}"' in body  # KTH-COMPLEMENT: the website first
        assert reverse("moderation:crisis", args=[crisis.pk]) in body
    page = client.get(reverse("moderation:crisis", args=[crisis.pk]))
    assert page.status_code == 200
    assert page.context["end_form"] is None or person in ("communications", "social_media_lead")


def test_no_banner_before_sign_in_or_without_a_crisis(client: Client, cast: Cast) -> None:
    declare(cast)
    assert 'data-banner="crisis"' not in client.get(reverse("login")).content.decode()
    crisis = Crisis.objects.get()
    end(cast, crisis)
    client.force_login(cast["communicator"])
    assert 'data-banner="crisis"' not in client.get(reverse("core:home")).content.decode()


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_the_banner_costs_one_cheap_query_at_most_and_none_once_cached_kau_crisis(
    client: Client, cast: Cast, make_account: Any
) -> None:
    from django.core.cache import cache

    make_account()
    client.force_login(cast["communicator"])
    url = reverse("core:home")
    client.get(url)  # the session's first request stamps it
    without = _queries(client, url)  # "no crisis" is cached after the first page
    declare(cast)
    cache.delete(crises.CACHE_KEY)
    cold = _queries(client, url)
    warm = _queries(client, url)
    assert cold == without + 1
    assert warm == without


def test_the_nav_entry_is_for_the_lead_and_communications(client: Client, cast: Cast) -> None:
    for person in EVERYONE:
        client.force_login(cast[person])
        keys = {item["key"] for item in client.get(reverse("core:home")).context["nav_items"]}
        assert ("crisis" in keys) == (person in ("communications", "social_media_lead")), person


# --- The queues and the item page -----------------------------------------------------------------------


def test_my_queue_and_the_inbox_show_the_crisis_with_the_website_kau_crisis_kth_complement(
    client: Client, cast: Cast, account: Any, make_item: Any
) -> None:
    make_item()
    client.force_login(cast["deputy"])
    queue = client.get(reverse("moderation:queue")).content.decode()
    assert "data-crisis-notice" not in queue
    crisis = declare(cast)
    for url in (reverse("moderation:queue"), reverse("moderation:inbox", args=[account.pk])):
        body = client.get(url).content.decode()
        assert f'data-crisis-notice="{crisis.pk}"' in body
        assert f'href="{WEBSITE}" rel="noopener noreferrer" data-crisis-website' in body


def test_the_item_page_offers_the_crisis_replies_first_and_inserts_them_kau_crisis(
    client: Client, cast: Cast, make_item: Any
) -> None:
    from moderation.replies import add_saved_reply

    item = make_item()
    add_saved_reply(title="Antagning", text="Anmälan öppnar 15 mars.", unit=None, by=cast["communications"])
    crisis = declare(cast)
    own = crises.add_crisis_reply(
        crisis, title="Brand", text=f"Läs mer på {WEBSITE}", by=cast["communications"]
    )
    client.force_login(cast["communicator"])
    page = in_english(client).get(reverse("moderation:item", args=[item.pk]))
    choices = list(page.context["reply_form"].fields["reply"].choices)
    assert choices[1] == (own.pk, "Crisis: Brand")
    assert choices[2][1] == "Antagning"
    inserted = client.post(reverse("moderation:answer", args=[item.pk]), {"insert": "1", "reply": own.pk})
    assert inserted.status_code == 200
    assert inserted.context["answer_form"].initial["answer"] == f"Läs mer på {WEBSITE}"


# --- The crisis page: the log and the ending ------------------------------------------------------------


def test_an_owner_logs_a_publication_and_the_page_shows_who_has_not_posted_kau_crisis(
    client: Client, cast: Cast, account: Any, make_account: Any
) -> None:
    theirs = make_account(unit="other", owner="other_head", deputies=("outsider",), name="Andra")
    crisis = declare(cast)
    client.force_login(cast["communicator"])
    page = client.get(reverse("moderation:crisis", args=[crisis.pk]))
    assert [a.pk for a in page.context["without_entry"]] == [theirs.pk, account.pk]  # by name
    assert list(page.context["log_form"].fields["account"].queryset) == [account]  # only their own
    url = reverse("moderation:crisis_log", args=[crisis.pk])
    refused = client.post(url, {"log-account": theirs.pk, "log-where": "Inlägg", "log-text": "Se webben"})
    assert refused.status_code == 400
    assert refused.context["log_form"].errors["account"]
    done = client.post(
        url,
        {
            "log-account": account.pk,
            "log-where": "Inlägg på Instagram",
            "log-url": "",
            "log-text": "Se webben",
        },
    )
    assert done.status_code == 302
    entry = CrisisLogEntry.objects.get()
    assert (entry.account, entry.recorded_by) == (account, cast["communicator"])
    page = client.get(reverse("moderation:crisis", args=[crisis.pk]))
    assert [a.pk for a in page.context["without_entry"]] == [theirs.pk]
    assert "Inlägg på Instagram" in page.content.decode()


def test_a_person_with_no_account_may_not_log(client: Client, cast: Cast) -> None:
    crisis = declare(cast)
    client.force_login(cast["registrar"])
    assert client.post(reverse("moderation:crisis_log", args=[crisis.pk]), {}).status_code == 403
    assert client.get(reverse("moderation:crisis", args=[crisis.pk])).context["log_form"] is None


def test_ending_needs_a_summary_then_the_banner_is_gone_and_the_page_stays_kau_crisis(
    client: Client, cast: Cast
) -> None:
    crisis = declare(cast)
    client.force_login(cast["social_media_lead"])
    url = reverse("moderation:crisis_end", args=[crisis.pk])
    refused = client.post(url, {"end-summary": "  "})
    assert refused.status_code == 400
    assert refused.context["end_form"].errors["summary"]
    crisis.refresh_from_db()
    assert crisis.is_active
    assert client.post(url, {"end-summary": "Över; alla inlägg pekade på webben."}).status_code == 302
    home = client.get(reverse("core:home")).content.decode()
    assert 'data-banner="crisis"' not in home
    page = client.get(reverse("moderation:crisis", args=[crisis.pk]))
    assert page.status_code == 200
    assert "alla inlägg pekade på webben" in page.content.decode()
    assert page.context["end_form"] is None
    listing = client.get(reverse("moderation:crises"))
    assert [row.pk for row in listing.context["past"]] == [crisis.pk]
    assert listing.context["active"] is None


def test_the_list_of_crises_reads_a_fixed_number_of_queries(client: Client, cast: Cast) -> None:
    client.force_login(cast["communications"])
    url = reverse("moderation:crises")
    client.get(url)
    one = declare(cast)
    end(cast, one)
    small = _queries(client, url)
    for number in range(8):
        end(cast, declare(cast, title=f"Kris {number}"))
    assert _queries(client, url) == small
    assert len(client.get(url).context["past"]) == 9


def test_a_missing_crisis_is_not_found(client: Client, cast: Cast) -> None:
    client.force_login(cast["social_media_lead"])
    assert client.get(reverse("moderation:crisis", args=[999999])).status_code == 404


# --- The usual alerts keep working ----------------------------------------------------------------------


def test_a_threat_and_a_pile_on_during_a_crisis_raise_the_usual_alerts_kau_threat_kau_drev(
    cast: Cast, make_item: Any
) -> None:
    """KAU-CRISIS does not replace KAU-THREAT or KAU-DREV: during an active crisis a threat still goes
    to the security officer and a pile-on to the lead and the central address."""
    declare(cast)
    threat = make_item()
    services.classify_item(threat, triage=Triage(threat=True), by=cast["communicator"], now=timezone.now())
    pile_on = make_item()
    services.classify_item(
        pile_on, triage=Triage(pile_on_risk=True), by=cast["communicator"], now=timezone.now()
    )
    assert Alert.objects.get(item=threat).target == Alert.Target.SECURITY
    assert Alert.objects.get(item=pile_on).target == Alert.Target.CENTRAL
    threat_mail = set(Notification.objects.filter(kind="item_threat").values_list("email", flat=True))
    pile_mail = set(Notification.objects.filter(kind="item_pile_on").values_list("email", flat=True))
    assert threat_mail == {"security_officer@example.se", "sakerhet@kau.se"}
    assert pile_mail == {"social_media_lead@example.se", "socialamedier@kau.se"}
    assert threat.threat_case.is_open
