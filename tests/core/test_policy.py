"""The policy page: the catalogue names every rule of docs/POLICY.md, every rule is enforced or says why
Kanalvakt cannot enforce it, the registry refuses an unknown rule, and the page and its JSON show every
rule with live figures at a constant number of queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core import policy
from core.policy_views import PAGE_NAMES, rules_for
from tests.conftest import Cast
from tests.support import ROOT, in_english

RULE_ID = re.compile(r"\b(?:KAU|KTH)-[A-Z]+(?:-[A-Z]+)*\b")
POLICY_MD = ROOT / "docs" / "POLICY.md"

# A Friday afternoon in November 2026 (Stockholm: 13:00).
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def policy_ids() -> set[str]:
    return set(RULE_ID.findall(POLICY_MD.read_text(encoding="utf-8")))


def test_the_catalogue_names_exactly_the_rules_of_docs_policy() -> None:
    ids = policy_ids()
    assert len(ids) == 41
    assert set(policy.RULES) == ids


def test_the_sections_are_the_headings_of_docs_policy_in_their_order() -> None:
    headings = [
        line[3:].split(" (")[0].strip()
        for line in POLICY_MD.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    ]
    with translation.override("en"):
        assert [str(section.title) for section in policy.SECTIONS] == headings
    keys = {section.key for section in policy.SECTIONS}
    assert all(rule.section in keys for rule in policy.RULES.values())
    assert all(str(rule.text).strip() for rule in policy.RULES.values())


def test_the_catalogue_keeps_the_order_of_docs_policy() -> None:
    seen: list[str] = []
    for found in RULE_ID.findall(POLICY_MD.read_text(encoding="utf-8")):
        if found not in seen:
            seen.append(found)
    order = [rule.id for _section, rules in policy.sections_with_rules() for rule in rules]
    assert sorted(order) == sorted(seen)
    # Within a section the catalogue follows the document.
    for _section, rules in policy.sections_with_rules():
        ids = [rule.id for rule in rules]
        assert ids == sorted(ids, key=seen.index)


def test_every_rule_is_enforced_or_says_why() -> None:
    """Every rule ID of docs/POLICY.md has an enforcement registered by an app, or a stated reason
    why Kanalvakt cannot enforce it."""
    missing = [
        rule_id
        for rule_id, rule in policy.RULES.items()
        if not policy.enforcements_for(rule_id) and not str(rule.reason).strip()
    ]
    assert missing == []


def test_registering_an_unknown_rule_fails_and_registers_nothing() -> None:
    before = policy.all_enforcements()
    with pytest.raises(policy.UnknownRule, match="KAU-NOTHING"):
        policy.register("KAU-NOTHING", what="Nothing.", app="core")
    assert policy.all_enforcements() == before


def test_registering_the_same_enforcement_twice_keeps_one() -> None:
    before = policy.enforcements_for("KAU-THREAT")
    first = before[0]
    policy.register(first.rule_id, what=first.what, where=first.where, figures=first.figures, app=first.app)
    assert policy.enforcements_for("KAU-THREAT") == before


def test_every_enforcement_names_pages_that_exist_and_have_a_name() -> None:
    enforcements = policy.all_enforcements()
    assert {enforcement.app for enforcement in enforcements} == {
        "core",
        "accounts",
        "governance",
        "moderation",
        "connectors",
        "archive",
    }
    for enforcement in enforcements:
        assert str(enforcement.what).strip(), enforcement
        for where in enforcement.where:
            assert policy.path_of(where).startswith("/")
            assert (where if isinstance(where, str) else where[0]) in PAGE_NAMES, where
        for figure in enforcement.figures:
            path = figure.path()
            assert path is None or path.startswith("/")


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    for name in ("core:policy", "core:policy_json"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_page_is_swedish_by_default_and_english_on_request(client: Client, cast: Cast) -> None:
    client.force_login(cast["outsider"])
    body = client.get(reverse("core:policy")).content.decode()
    assert '<html lang="sv">' in body
    assert "Kontoregister" in body  # a page where a rule is met, by its Swedish name
    for rule_id in policy.RULES:
        assert f'id="{rule_id.lower()}"' in body

    body = in_english(client).get(reverse("core:policy")).content.decode()
    assert '<html lang="en">' in body
    assert "Every account has an account owner and at least one deputy." in body
    assert "Not enforced by Kanalvakt:" in body or "What Kanalvakt cannot check:" in body
    assert "41 rules" in body
    assert f'href="{reverse("governance:profile_guide")}"' in body
    assert f'href="{reverse("accounts:list")}?flag=resp_owner"' in body


def test_the_page_has_a_summary_and_a_table_of_contents(client: Client, cast: Cast) -> None:
    client.force_login(cast["communicator"])
    response = in_english(client).get(reverse("core:policy"))
    summary = response.context["summary"]
    assert summary["rules"] == 41
    assert summary["enforced"] == 41
    assert summary["neither"] == 0
    assert summary["with_reason"] == sum(1 for rule in policy.RULES.values() if rule.reason)
    body = response.content.decode()
    assert "data-policy-toc" in body
    for section in policy.SECTIONS:
        assert f'href="#section-{section.key}"' in body
    assert 'href="#kau-resp-owner"' in body


def test_the_json_has_every_rule_with_its_enforcements_and_figures(client: Client, cast: Cast) -> None:
    client.force_login(cast["deputy"])
    data = in_english(client).get(reverse("core:policy_json")).json()
    assert data["language"] == "en"
    assert data["summary"]["rules"] == 41
    assert [section["key"] for section in data["sections"]] == [section.key for section in policy.SECTIONS]
    rules = {rule["id"]: rule for section in data["sections"] for rule in section["rules"]}
    assert set(rules) == policy_ids()
    owner = rules["KAU-RESP-OWNER"]
    assert owner["text"] == "Every account has an account owner and at least one deputy."
    assert owner["enforced"] is True
    enforcement = owner["enforcements"][0]
    assert set(enforcement) == {"app", "what", "where", "figures"}
    assert {"name": "Account registry", "path": reverse("accounts:list")} in enforcement["where"]
    figure = enforcement["figures"][0]
    assert set(figure) == {"label", "value", "path"}
    assert isinstance(figure["value"], int)
    assert figure["path"] == reverse("accounts:list") + "?flag=resp_owner"
    assert rules["KAU-CONTENT"]["not_enforced_reason"].startswith("Whether content is engaging")
    assert rules["KAU-CONSENT"]["enforced"] is True

    swedish = Client()
    swedish.force_login(cast["deputy"])
    assert swedish.get(reverse("core:policy_json")).json()["language"] == "sv"


def figures_by_label(user: Any, now: datetime) -> dict[str, int]:
    with translation.override("en"):
        return {
            figure.label: figure.value
            for _section, rules in rules_for(user, now)
            for rule in rules
            for enforcement in rule.enforcements
            for figure in enforcement.figures
        }


def make_items(account: Any) -> None:
    """One item past its limit this month and unanswered, one past its limit last month, one not yet
    at its limit."""
    from moderation.services import log_item

    for received in (
        datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
        datetime(2026, 10, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 19, 10, 0, tzinfo=UTC),
    ):
        log_item(
            account, kind="comment", author="@a", text="Fråga", received_at=received, by=None, now=received
        )


def test_the_figures_count_the_institution_on_small_data(cast: Cast, make_account: Any) -> None:
    """KAU-RESP-OWNER: an account without a deputy is counted; KAU-RESPONSE-DEADLINE: only the items
    whose limit fell this month and were not handled by it; KAU-START-COMMS and KAU-START-APPROVAL:
    requests by state."""
    from moderation.models import Item

    kept = make_account()
    alone = make_account()
    alone.deputies.clear()
    make_items(kept)
    limits = sorted(Item.objects.values_list("limit_at", flat=True))
    assert limits[0].month == 10
    assert limits[1] < NOW < limits[2]

    figures = figures_by_label(cast["communicator"], NOW)
    assert figures["Accounts missing an owner or a deputy"] == 1
    assert figures["Items past the limit this month"] == 1
    assert figures["Accounts with an unanswered item past the limit"] == 1
    assert figures["Accounts without a strategy document"] == 2
    assert figures["Requests waiting for review"] == 0
    assert figures["Diary packages waiting for a registration number"] == 0


def test_open_threat_cases_are_counted_only_for_those_who_follow_them(cast: Cast, make_account: Any) -> None:
    """KAU-THREAT: the number of open threat cases is for the security officer and the social media
    lead; the others do not learn it."""
    from moderation.services import Triage, classify_item, log_item

    account = make_account()
    received = NOW - timedelta(hours=1)
    item = log_item(
        account, kind="comment", author="@x", text="Hot", received_at=received, by=None, now=received
    )
    classify_item(
        item, triage=Triage(classification="comment", threat=True), by=cast["communicator"], now=NOW
    )

    assert figures_by_label(cast["security_officer"], NOW)["Open threat cases"] == 1
    assert figures_by_label(cast["social_media_lead"], NOW)["Open threat cases"] == 1
    for person in ("communicator", "head_of_unit", "registrar", "outsider"):
        assert "Open threat cases" not in figures_by_label(cast[person], NOW)


def test_the_page_costs_the_same_queries_whatever_the_data(
    client: Client, cast: Cast, make_account: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(cast["social_media_lead"])
    url = reverse("core:policy")
    make_items(make_account())
    client.get(url)  # the session and the caches are warm
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for _ in range(6):
        account = make_account()
        account.deputies.clear()
        make_items(account)
    with django_assert_num_queries(len(small)):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as as_json:
        assert client.get(reverse("core:policy_json")).status_code == 200
    assert len(as_json) <= len(small)


def test_a_rule_without_enforcement_or_reason_shows_as_such_and_is_found(
    client: Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule whose enforcements are gone (here KAU-CREDIT's, taken out of the registry for this test)
    is marked "not yet enforced" on the page and in the JSON, and the completeness check names it."""
    monkeypatch.setitem(policy._registry, "KAU-CREDIT", [])
    with pytest.raises(AssertionError):
        test_every_rule_is_enforced_or_says_why()
    client.force_login(cast["communicator"])
    english = in_english(client)
    body = english.get(reverse("core:policy")).content.decode()
    article = body.split('data-rule="KAU-CREDIT"', 1)[1].split("</article>", 1)[0]
    assert "data-not-enforced" in article
    assert "Not yet enforced by Kanalvakt." in article
    data = english.get(reverse("core:policy_json")).json()
    assert data["summary"]["neither"] == 1
    credit = next(
        rule for section in data["sections"] for rule in section["rules"] if rule["id"] == "KAU-CREDIT"
    )
    assert credit["enforced"] is False
    assert credit["enforcements"] == []
