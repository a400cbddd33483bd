"""Shared by the access tests: the URLconf walked pattern by pattern, a world of real objects to fill
the patterns' ids with, and the people of every role who visit them.

The world is built once per test module, through the services, inside one transaction that is rolled
back when the module ends; each test runs in a savepoint inside it (pytest-django's ``db``), so a POST
a test makes is undone before the next one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from core.calendar import STOCKHOLM
from tests import support
from tests.conftest import Cast

# A fixed "now" for the world: Thursday 26 November 2026, 10:00 in Stockholm.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM)

# The columns of the role-by-view matrix, in the order the table reads them, with whom each stands for.
ROLES: dict[str, str] = {
    "comm": "a communicator with no role in this unit (owns an account of another department)",
    "ohead": "the head of another unit (the other department)",
    "head": "the head of this unit (the department the objects belong to)",
    "cdep": "the communications department",
    "lead": "the social media lead (also in the communications department)",
    "reg": "the registrar/archivist",
    "sec": "the security officer",
    "owner": "the account owner (and requester of the department's requests)",
    "dep": "the deputy of the account",
    "out": "an outsider: signed in, no role, no object",
}


# --- The URLconf, walked ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern of the URLconf: its full route, its name (with namespace) and its view."""

    route: str  # the full pattern as written, e.g. "konton/<int:pk>/"
    name: str  # "namespace:name", or "" when the pattern has none
    callback: Any
    template: str  # the path with "{kwarg}" placeholders, e.g. "/konton/{pk}/"
    groups: tuple[tuple[str, str], ...]  # (kwarg, regex) of each placeholder

    @property
    def key(self) -> str:
        """How tests and allowlists name a pattern: its name, or its route when it has none."""
        return self.name or self.route

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("/admin/")


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _named_groups(regex: str) -> tuple[str, list[tuple[str, str]]]:
    """``regex`` with each ``(?P<name>…)`` replaced by ``{name}``, and each group's own regex."""
    out: list[str] = []
    groups: list[tuple[str, str]] = []
    i = 0
    while i < len(regex):
        named = regex.startswith("(?P<", i)
        if named or (regex[i] == "(" and not regex.startswith("(?", i) and (i == 0 or regex[i - 1] != "\\")):
            # A positional group (simple-history's admin pages) is filled like a named one.
            end_name = regex.index(">", i) if named else i
            name = regex[i + 4 : end_name] if named else f"_{len(groups)}"
            depth, j = 1, end_name + 1
            while depth:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            groups.append((name, regex[end_name + 1 : j - 1]))
            out.append("{" + name + "}")
            i = j
        else:
            out.append(regex[i])
            i += 1
    return "".join(out), groups


def _template(pattern: Any) -> tuple[str, list[tuple[str, str]]]:
    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)  # type: ignore[attr-defined]
        groups = [(m["name"], pattern.converters[m["name"]].regex) for m in _ROUTE_PARAM.finditer(route)]
        return _ROUTE_PARAM.sub(lambda m: "{" + m["name"] + "}", route), groups
    assert isinstance(pattern, RegexPattern)
    text, groups = _named_groups(str(pattern._regex).removeprefix("^").removesuffix("$"))  # type: ignore[attr-defined]
    return re.sub(r"\\(.)", r"\1", text), groups


def walk() -> list[Route]:
    """Every URL pattern of the project's URLconf, included ones too, in URLconf order."""
    found: list[Route] = []

    def visit(patterns: Any, route: str, template: str, groups: list[tuple[str, str]], ns: str) -> None:
        for entry in patterns:
            part, part_groups = _template(entry.pattern)
            full_route = route + str(entry.pattern).removeprefix("^")
            if isinstance(entry, URLResolver):
                namespace = f"{ns}{entry.namespace}:" if entry.namespace else ns
                visit(entry.url_patterns, full_route, template + part, groups + part_groups, namespace)
            else:
                assert isinstance(entry, URLPattern)
                found.append(
                    Route(
                        route=full_route,
                        name=f"{ns}{entry.name}" if entry.name else "",
                        callback=entry.callback,
                        template="/" + template + part,
                        groups=tuple(groups + part_groups),
                    )
                )

    visit(get_resolver().url_patterns, "", "", [], "")
    return found


# --- The world ---------------------------------------------------------------------------------------


@dataclass
class World:
    """The people of every role, the organisation, and one object of each kind the URLs name."""

    cast: Cast
    people: dict[str, Any]  # by matrix role, plus "staff" (a superuser) and "colleague"
    objects: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.objects[key]


def png(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    return support.png((120, 90), colour)


def build_world() -> World:
    """The organisation of tests/conftest.py's cast, an account of each department, requests in every
    state that a view acts on, items, an alert, screenshots, a diary package, an export, an absence
    and an API token, all through the services."""

    from accounts import services as account_services
    from accounts.models import Absence
    from archive import exports, registration
    from archive.services import store_screenshot
    from connectors.models import Connection, Outgoing
    from core.roles import Role, sync_roles
    from governance.models import AccountRequest
    from moderation import services as moderation_services
    from moderation.models import Alert
    from moderation.tokens import issue_token
    from tests.governance.factories import make_request
    from tests.support import make_organisation, make_person

    sync_roles()

    person = make_person
    people = {
        "comm": person("communicator_elsewhere", Role.COMMUNICATOR),
        "colleague": person("colleague", Role.COMMUNICATOR),
        "ohead": person("other_head"),
        "head": person("head_of_unit"),
        "cdep": person("communications", Role.COMMUNICATIONS),
        "lead": person("social_media_lead", Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD),
        "reg": person("registrar", Role.REGISTRAR),
        "sec": person("security_officer", Role.SECURITY_OFFICER),
        "owner": person("communicator", Role.COMMUNICATOR),
        "dep": person("deputy", Role.COMMUNICATOR),
        "out": person("outsider"),
        "staff": person("staff", is_staff=True, is_superuser=True),
    }
    units = make_organisation({"department": people["head"], "other": people["ohead"]})
    department, other = units["department"], units["other"]
    # The factories of tests/governance speak the conftest cast's names.
    cast = Cast(
        people={
            "communicator": people["owner"],
            "deputy": people["dep"],
            "head_of_unit": people["head"],
            "other_head": people["ohead"],
            "communications": people["cdep"],
            "social_media_lead": people["lead"],
            "registrar": people["reg"],
            "security_officer": people["sec"],
            "outsider": people["out"],
            "staff": people["staff"],
        },
        units=units,
    )
    world = World(cast=cast, people=people)
    objects = world.objects
    objects["unit"] = department

    # New-account requests of the department, filed by the owner, in the states the views act on.
    objects["request_approved"] = make_request(
        cast, state="approved", name="Fysik vid KAU", handle="fysik_kau"
    )
    objects["request_reviewed"] = make_request(cast, state="reviewed", name="Kemi vid KAU", handle="kemi_kau")
    objects["request_submitted"] = make_request(
        cast, state="submitted", name="Matte vid KAU", handle="matte_kau"
    )
    objects["request_draft"] = make_request(cast, state="draft", name="Biologi vid KAU", handle="bio_kau")
    # The approved request's account is the department's account: owner, deputy, head of unit.
    account = AccountRequest.objects.get(pk=objects["request_approved"].pk).account
    assert account is not None
    assert account.owner_id == people["owner"].pk
    assert not account.url
    objects["account"] = account
    objects["other_account"] = account_services.register_account(
        unit=other, platform="instagram", name="Andra kontot", handle="andra_kau",
        owner=people["comm"], deputies=[people["colleague"]], by=None,
    )  # fmt: skip

    # Paid campaigns in the department's account (KAU-ADS), filed by its owner: a draft and one
    # awaiting approval, both well ahead so that they are still to come whatever the clock says.
    from decimal import Decimal

    from governance import campaigns

    def campaign(subject: str) -> Any:
        return campaigns.save_campaign_draft(
            None, by=people["owner"], now=NOW,
            data={
                "account": account, "kind": "programme", "subject": subject, "starts_on": date(2099, 3, 1),
                "ends_on": date(2099, 3, 31), "budget": Decimal("5000"), "run_by": people["owner"],
                "agency": "", "description": "",
            },
        )  # fmt: skip

    objects["campaign_draft"] = campaign("Fysikprogrammet")
    objects["campaign_submitted"] = campaign("Sommarkurs i fysik")
    campaigns.submit_campaign(objects["campaign_submitted"].pk, by=people["owner"], now=NOW)

    def item(number: int, **extra: Any) -> Any:
        return moderation_services.log_item(
            account,
            kind="comment",
            author=f"@besokare{number}",
            text=f"Fråga nummer {number}: när öppnar anmälan?",
            platform_id=f"p-{number}",
            received_at=NOW - timedelta(hours=2),
            by=people["owner"],
            now=NOW,
            **extra,
        )

    objects["item"] = item(1)  # open, no address: a capture asked for it stops before Chromium
    objects["threat_item"] = item(2, triage=moderation_services.Triage(threat=True))
    objects["alert"] = Alert.objects.get(item=objects["threat_item"], target=Alert.Target.SECURITY)
    objects["threat_case"] = objects["threat_item"].threat_case
    registrable = item(
        3, triage=moderation_services.Triage(classification="criticism", requires_registration=True)
    )
    objects["registrable_item"] = registrable
    objects["screenshot"] = store_screenshot(
        account, data=png(), purpose="item", item=objects["item"], by=people["owner"], now=NOW
    )
    store_screenshot(account, data=png(), purpose="item", item=registrable, by=people["owner"], now=NOW)
    objects["startpage_screenshot"] = store_screenshot(
        account, data=png((30, 60, 200)), purpose="startpage", by=people["dep"], now=NOW
    )
    objects["package"] = registration.build_package(
        registrable, subject="Kritik om öppettider", secrecy="", by=people["owner"], now=NOW
    )
    job = exports.request_export(
        by=people["reg"], now=NOW, criteria={"account": account.pk}, description="Begäran om allmän handling"
    )
    exports.run_export(job.pk, now=NOW)
    job.refresh_from_db()
    assert job.status == job.Status.DONE, job.error
    objects["export"] = job
    # Secrecy reviews of the account (KAU-PUBLIC-RECORD): one open with a mark, one released.
    from archive import secrecy
    from archive.search import Criteria

    def review() -> Any:
        return secrecy.open_review(
            criteria=Criteria(account=account), requester="", requested_on=NOW.date(), reference="",
            by=people["reg"], now=NOW,
        )  # fmt: skip

    objects["secrecy_review"] = review()
    objects["secrecy_mark"] = secrecy.mark_item(
        objects["secrecy_review"], item_id=objects["item"].pk, field="author", ground="OSL 21 kap. 7 §",
        note="", by=people["reg"], now=NOW,
    )  # fmt: skip
    objects["released_review"] = review()
    secrecy.mark_screenshot(
        objects["released_review"], screenshot_id=objects["screenshot"].pk, ground="OSL 21 kap. 7 §",
        note="", by=people["reg"], now=NOW,
    )  # fmt: skip
    secrecy.release_review(
        objects["released_review"], recipient="Anonym", confirmed=True, by=people["reg"], now=NOW
    )
    # A disposal list under review with one record on it, and a legal hold (arkivlagen 10 §). The list
    # is written directly: proposing one needs records past a retention period, which the world has not.
    from archive import retention_services
    from archive.models import Disposal, DisposalEntry

    objects["disposal"] = Disposal.objects.create(proposed_at=NOW, proposed_by=people["reg"], cutoff_at=NOW)
    objects["disposal_entry"] = DisposalEntry.objects.create(
        disposal=objects["disposal"], record_type="item", record_id=objects["item"].pk, account=account,
        record_at=NOW, label="Ärende",
    )  # fmt: skip
    objects["hold"] = retention_services.place_hold(
        account_id=account.pk, item_id=None, start=None, end=None, reason="request",
        description="Begäran om allmän handling", by=people["reg"], now=NOW,
    )  # fmt: skip
    # Far ahead, so that it is still to come whatever the clock says when the views run; written
    # directly, as core.bounds keeps an absence that is typed in within three years.
    objects["absence"] = Absence.objects.create(
        person=people["owner"],
        starts_on=date(2099, 7, 1),
        ends_on=date(2099, 7, 14),
        kind="vacation",
        created_by=people["owner"],
    )
    # The account's connection to its platform, and an answer the platform refused.
    connection = Connection.objects.create(
        account=account, platform="instagram", external_id="17841400000000009", connected_at=NOW
    )
    objects["outgoing"] = Outgoing.objects.create(
        connection=connection,
        item=objects["item"],
        action=Outgoing.Action.REPLY,
        text="Anmälan öppnar den 15 mars.",
        requested_by=people["owner"],
        requested_at=NOW,
        status=Outgoing.Status.FAILED,
        reason="(#10) Permissions error",
    )
    from moderation.replies import add_saved_reply

    objects["saved_reply"] = add_saved_reply(
        title="Antagning",
        text="Tack för frågan! Anmälan öppnar den 15 mars.",
        unit=None,
        by=people["cdep"],
        now=NOW,
    )
    # Ambassadors of the department on its account, proposed by the owner (KAU-PRIVATE, KTH-BLOG): one
    # awaiting the head's approval, one approved. Their last day is then moved far ahead, written
    # directly as the absence's is, so that both are still running whatever the clock says.
    from accounts import ambassadors
    from accounts.models import Ambassador

    def ambassador(name: str) -> Any:
        proposed = ambassadors.propose_ambassador(
            name=name, email="", employed=False, kind="student_ambassador", unit=department,
            account=account, starts_on=date(2026, 9, 1), ends_on=date(2027, 6, 30),
            duties="Berättar om studentlivet.", assignment="Uppdrag från institutionen.",
            by=people["owner"], now=NOW,
        )  # fmt: skip
        Ambassador.objects.filter(pk=proposed.pk).update(ends_on=date(2099, 6, 30))
        proposed.refresh_from_db()
        return proposed

    objects["ambassador"] = ambassador("Alva Ambassadör")
    objects["ambassador_approved"] = ambassadors.approve_ambassador(
        ambassador("Bo Bloggare"), by=people["head"], now=NOW
    )
    # KAU-CRISIS: an active crisis, declared by the lead, with the link to the website (KTH-COMPLEMENT).
    from moderation.crisis import declare_crisis

    objects["crisis"] = declare_crisis(
        title="Brand i hus 21", what_happened="Hus 21 är utrymt.", website_url="https://www.kau.se/kris",
        by=people["lead"], now=NOW,
    )  # fmt: skip
    objects["token"], objects["token_secret"] = issue_token(
        name="Kopplingen", accounts=[account], all_accounts=False, by=people["lead"], now=NOW
    )
    _consent_register(world, account)
    return world


def _consent_register(world: World, account: Any) -> None:
    """The consent register of the department's account (KAU-CONSENT, KAU-CREDIT): a consent, a crowd
    situation and a photographer credit recorded by the owner, a published and a planned post, and a
    withdrawn consent whose post waits to be handled."""
    from moderation import consents
    from moderation.platform import keep_publication

    owner, objects = world.people["owner"], world.objects
    where: dict[str, Any] = {"unit": None, "accounts": [account], "by": owner, "now": NOW}

    def consent(name: str) -> Any:
        return consents.record_consent(
            person_name=name, material="Porträtt", social_media=True, form="written", data=png(),
            given_on=date(2026, 11, 1), valid_until=None, **where,
        )  # fmt: skip

    objects["consent"] = consent("Sara Lind")
    objects["crowd"] = consents.record_crowd(
        place="Aulan",
        occurred_on=date(2026, 11, 20),
        how_informed="Skyltar vid entrén.",
        objections="",
        **where,
    )
    objects["credit"] = consents.record_credit(
        photographer="Jonas Berg", credit_line="Foto: Jonas Berg", no_credit_agreement="",
        agreed_social_media=True, agreement_note="", data=png((10, 120, 10)), **where,
    )  # fmt: skip
    objects["publication"], _created = keep_publication(
        account, platform_id="post-1", kind="post", text="Välkommen!", published_at=NOW - timedelta(days=1)
    )
    objects["planned"] = consents.plan_post(
        account,
        planned_for=date(2026, 12, 1),
        description="Bild från labbet",
        has_image=True,
        by=owner,
        now=NOW,
    )
    withdrawn = consent("Per Holm")
    consents.link_record(publication=objects["publication"], consent=withdrawn, by=owner, now=NOW)
    (objects["affected_post"],) = consents.withdraw_consent(withdrawn, note="Per e-post.", by=owner, now=NOW)


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The world, built once for the module and rolled back at its end (see the module docstring)."""
    media = Path(tmp_path_factory.mktemp("access-media"))
    # The conftest's fast hasher is per test; the cast's passwords are hashed here, once per module.
    # A Meta app is configured, so that Facebook Login is offered and its routes act.
    fast = override_settings(
        MEDIA_ROOT=str(media),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        META_APP_ID="1234567890",
        META_APP_SECRET="app-secret",
    )
    with django_db_blocker.unblock(), fast, transaction.atomic():
        built = build_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def sessions(world: World) -> dict[str, str]:
    """A signed-in session per person of the world, made once per module (in its transaction)."""
    from django.test import Client

    keys = {}
    for role, person in world.people.items():
        client = Client()
        client.force_login(person)
        keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


def signed_in(sessions: dict[str, str], role: str, **client_options: Any) -> Any:
    """A new client (no cookies but the session) signed in as ``role``."""
    from django.test import Client

    client = Client(**client_options)
    client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
    return client


# --- Filling a pattern --------------------------------------------------------------------------------

# Which object of the world a pattern's id names, by pattern name (and "#variant" for a second object).
OBJECT_FOR: dict[str, str] = {
    "governance:unit_detail": "unit",
    "governance:request_detail": "request_approved",
    "governance:request_edit": "request_draft",
    "governance:request_submit": "request_draft",
    "governance:request_review": "request_submitted",
    "governance:request_decide": "request_reviewed",
    "governance:request_withdraw": "request_submitted",
    "governance:request_comment": "request_submitted",
    "governance:request_discard": "request_draft",
    "governance:request_record": "request_approved",
    "governance:request_record_pdf": "request_approved",
    "governance:campaign_detail": "campaign_submitted",
    "governance:campaign_edit": "campaign_draft",
    "governance:campaign_submit": "campaign_draft",
    "governance:campaign_decide": "campaign_submitted",
    "governance:campaign_withdraw": "campaign_submitted",
    "accounts:absence_cancel": "absence",
    "moderation:item#threat": "threat_item",
    "archive:screenshot": "screenshot",
    "moderation:alert_acknowledge": "alert",
    "moderation:case": "threat_case",
    "moderation:case_record": "threat_case",
    "moderation:token_revoke": "token",
    "moderation:reply_edit": "saved_reply",
    "moderation:reply_retire": "saved_reply",
    "moderation:crisis": "crisis",
    "moderation:crisis_log": "crisis",
    "moderation:crisis_reply_add": "crisis",
    "moderation:crisis_end": "crisis",
    "archive:package_build": "registrable_item",
    "archive:stamped": "screenshot",
    "archive:stamped#startpage": "startpage_screenshot",
    "archive:package": "package",
    "archive:package_download": "package",
    "archive:package_register": "package",
    "archive:package_correct": "package",
    "archive:export": "export",
    "archive:export_download": "export",
    "archive:secrecy_review": "secrecy_review",
    "archive:secrecy_mark": "secrecy_review",
    "archive:secrecy_unmark": "secrecy_review",
    "archive:secrecy_release": "secrecy_review",
    "archive:secrecy_screenshot": "secrecy_review",
    "archive:secrecy_download": "released_review",
    "archive:disposal": "disposal",
    "archive:disposal_exclude": "disposal",
    "archive:disposal_approve": "disposal",
    "archive:disposal_reject": "disposal",
    "archive:hold_lift": "hold",
    "accounts:ambassador_detail": "ambassador",
    "accounts:ambassador_decide": "ambassador",
    "accounts:ambassador_end": "ambassador_approved",
    "moderation:consent": "consent",
    "moderation:consent_edit": "consent",
    "moderation:consent_withdraw": "consent",
    "moderation:consent_file": "consent",
    "moderation:crowd": "crowd",
    "moderation:crowd_objection": "crowd",
    "moderation:credit": "credit",
    "moderation:credit_file": "credit",
    "moderation:planned": "planned",
    "moderation:planned_link": "planned",
    "moderation:planned_published": "planned",
    "moderation:publication": "publication",
    "moderation:publication_link": "publication",
    "moderation:affected_handled": "affected_post",
    "connectors:outgoing_check": "outgoing",
    "connectors:outgoing_retry": "outgoing",
}
# Otherwise a kwarg names its object by its own name: an account, an item.
OBJECT_FOR_KWARG = {"account_id": "account", "item_id": "item"}
ACCOUNT_PAGES = ("accounts:", "archive:startpage")
ITEM_PAGES = ("moderation:",)


# Second ids of a pattern, named by their kwarg before the pattern's own object.
OBJECT_FOR_SECOND_KWARG = {"mark_id": "secrecy_mark", "shot_id": "screenshot", "entry_id": "disposal_entry"}


def _object_for(key: str, kwarg: str) -> str | None:
    if kwarg in OBJECT_FOR_SECOND_KWARG:
        return OBJECT_FOR_SECOND_KWARG[kwarg]
    if key in OBJECT_FOR:
        return OBJECT_FOR[key]
    if kwarg in OBJECT_FOR_KWARG:
        return OBJECT_FOR_KWARG[kwarg]
    if kwarg == "pk" and key.startswith(ACCOUNT_PAGES):
        return "account"
    if kwarg == "pk" and key.startswith(ITEM_PAGES):
        return "item"
    return None


def _sample(kwarg: str, regex: str, world: World | None) -> str:
    """A value for a kwarg the world has no object for: 1 where a number fits, else the first word the
    pattern accepts (the admin's app labels)."""
    alternatives = [part for part in regex.split("|") if re.fullmatch(r"\w+", part)]
    for candidate in ["1", *alternatives, "x"]:
        if re.fullmatch(regex, candidate):
            return candidate
    raise AssertionError(f"no sample value for <{kwarg}> matching {regex!r}")


def url_for(route: Route, world: World | None, key: str | None = None) -> str:
    """The pattern filled with the ids of the world's objects (``key`` may name a "#variant"), or with 1
    (or a word the pattern accepts) where the world has no object of that kind. The URL is checked to
    resolve back to the same pattern."""
    values = {}
    for kwarg, regex in route.groups:
        name = _object_for(key or route.key, kwarg)
        if name is not None and world is not None:
            values[kwarg] = str(world[name].pk)
        else:
            values[kwarg] = _sample(kwarg, regex, world)
    url = route.template.format(**values)
    match = resolve(url)
    assert match.route == route.route, f"{url} resolves to {match.route!r}, not {route.route!r}"
    return url


def login_path() -> str:
    from django.shortcuts import resolve_url

    return str(resolve_url(settings.LOGIN_URL))


def writes_so_far(*, besides: tuple[str, ...] = ()) -> int:
    """Rows inserted, updated or deleted in this transaction so far, over every table but ``besides``:
    a view that wrote nothing leaves it as it was (PostgreSQL's per-transaction statistics)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
            "WHERE NOT (relname = ANY(%s))",
            [list(besides)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0
