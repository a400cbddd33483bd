"""Who may open which page: every named view against every role, in one table (POLICY.md, USERS.md).

Read a row as "this view, asked with this method, answers each role with this status". The objects
are the department's (tests/core/access_support.py): its approved request made its account, which
``owner`` owns, ``dep`` deputises for and ``head`` answers for (KAU-RESP-OWNER, KAU-RESP-MANAGER);
the item is a comment on that account. Columns:

    comm   a communicator with no role here (owns an account of the other department)
    ohead  the head of the other department
    head   the head of this department
    cdep   the communications department (KAU-START-COMMS)
    lead   the social media lead (KAU-HIERARCHY)
    reg    the registrar/archivist (KAU-PUBLIC-RECORD, KAU-DIARY-ACTION)
    sec    the security officer (KAU-THREAT)
    owner  the account owner, who also filed the department's requests
    dep    the deputy
    out    an outsider: signed in, no role, no object

Statuses: 200 the page; 302 done (the redirect after a successful POST, or the page's own redirect);
400 let in, but the empty form sent is refused and nothing is stored; 401 the API, which takes a
token and never a browser session; 403 the role may not; 404 the object is not one the person may
see, so Kanalvakt does not say that it exists.

POST rows are sent with the data in POST_DATA, in a savepoint rolled back after each role. Pages that
take both GET and POST are tested with GET (the form). A view missing from the table fails the test.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.core.access_support import ROLES, Route, World, sessions, signed_in, url_for, walk, world

__all__ = ["sessions", "world"]

MATRIX = """
view                              method  comm ohead head cdep lead reg  sec  owner dep  out
login                             GET     200  200   200  200  200  200  200  200   200  200
logout                            POST    302  302   302  302  302  302  302  302   302  302
set_language                      POST    302  302   302  302  302  302  302  302   302  302
core:home                         GET     200  200   200  200  200  200  200  200   200  200
core:health                       GET     200  200   200  200  200  200  200  200   200  200
core:email_settings               GET     200  200   200  200  200  200  200  200   200  200
core:policy                       GET     200  200   200  200  200  200  200  200   200  200
core:policy_json                  GET     200  200   200  200  200  200  200  200   200  200
official_accounts                 GET     200  200   200  200  200  200  200  200   200  200
official_accounts_json            GET     200  200   200  200  200  200  200  200   200  200
governance:unit_list              GET     200  200   200  200  200  200  200  200   200  200
governance:unit_detail            GET     200  200   200  200  200  200  200  200   200  200
governance:settings               GET     403  403   403  403  200  403  403  403   403  403
governance:profile_guide          GET     200  200   200  200  200  200  200  200   200  200
governance:request_list           GET     200  200   200  200  200  200  200  200   200  200
governance:request_create         GET     200  200   200  200  200  200  200  200   200  200
governance:request_check          POST    200  200   200  200  200  200  200  200   200  200
governance:request_detail         GET     404  404   200  200  200  200  404  200   200  404
governance:request_edit           GET     404  404   403  403  403  403  404  200   403  404
governance:request_submit         POST    404  404   403  403  403  403  404  302   403  404
governance:request_review         POST    404  404   403  302  302  403  404  403   403  404
governance:request_decide         POST    404  404   302  403  403  403  404  403   403  404
governance:request_withdraw       POST    404  404   403  403  403  403  404  302   403  404
governance:request_comment        POST    404  404   302  302  302  302  404  302   302  404
governance:request_discard        POST    404  404   403  403  403  403  404  302   403  404
governance:request_record         GET     404  404   200  200  200  200  404  200   200  404
governance:request_record_pdf     GET     404  404   200  200  200  200  404  200   200  404
governance:campaign_list          GET     200  200   200  200  200  200  200  200   200  200
governance:campaign_export        GET     200  200   200  200  200  200  200  200   200  200
governance:campaign_create        GET     200  200   200  200  200  403  403  200   200  403
governance:campaign_detail        GET     404  404   200  200  200  404  404  200   200  404
governance:campaign_edit          GET     404  404   403  403  403  404  404  200   200  404
governance:campaign_submit        POST    404  404   403  403  403  404  404  302   302  404
governance:campaign_decide        POST    404  404   403  302  302  404  404  403   403  404
governance:campaign_withdraw      POST    404  404   403  403  403  404  404  302   302  404
accounts:list                     GET     200  200   200  200  200  200  200  200   200  200
accounts:export                   GET     200  200   200  200  200  200  200  200   200  200
accounts:export_xlsx              GET     200  200   200  200  200  200  200  200   200  200
accounts:register                 GET     403  403   403  200  200  403  403  403   403  403
accounts:detail                   GET     404  404   200  200  200  200  404  200   200  404
accounts:confirm                  POST    404  404   403  302  302  403  404  302   302  404
accounts:people                   GET     404  404   200  403  200  403  404  403   403  404
accounts:details                  GET     404  404   200  403  200  403  404  403   403  404
accounts:absences                 GET     200  200   200  200  200  200  200  200   200  200
accounts:absence_cancel           POST    404  404   404  404  302  404  404  302   404  404
accounts:followup                 GET     404  404   200  403  200  403  404  200   200  404
accounts:closing                  GET     404  404   200  403  200  403  404  200   200  404
accounts:closing_candidates       GET     403  200   200  200  200  403  403  403   403  403
accounts:compare                  GET     200  200   200  200  200  200  200  200   200  200
accounts:ambassadors              GET     200  200   200  200  200  200  200  200   200  200
accounts:ambassador_propose       GET     200  200   200  200  200  403  403  200   200  403
accounts:ambassador_detail        GET     404  404   200  200  200  404  404  200   200  404
accounts:ambassador_decide        POST    404  404   302  403  403  404  404  403   403  404
accounts:ambassador_end           POST    404  404   302  302  302  404  404  302   403  404
moderation:queue                  GET     200  200   200  200  200  200  200  200   200  200
moderation:inbox                  GET     404  404   200  404  200  404  404  200   200  404
moderation:item_create            GET     404  404   403  404  403  404  404  200   200  404
moderation:import                 GET     404  404   403  404  403  404  404  200   200  404
moderation:import_template        GET     404  404   403  404  403  404  404  200   200  404
moderation:item                   GET     404  404   200  404  200  404  404  200   200  404
moderation:item#threat            GET     404  404   200  404  200  404  200  200   200  404
moderation:classify               POST    404  404   403  404  403  404  404  302   302  404
moderation:answer                 POST    404  404   403  404  403  404  404  302   302  404
moderation:close                  POST    404  404   403  404  403  404  404  302   302  404
moderation:remove                 POST    404  404   403  404  403  404  404  400   400  404
moderation:escalate               POST    404  404   403  404  403  404  404  302   302  404
moderation:registration           POST    404  404   403  404  403  404  404  302   302  404
moderation:take                   POST    404  404   403  404  403  404  404  302   302  404
moderation:release                POST    404  404   403  404  403  404  404  302   302  404
moderation:bulk                   POST    404  404   404  404  404  404  404  200   200  404
moderation:alert_acknowledge      POST    404  404   404  404  404  404  302  404   404  404
moderation:alerts_acknowledge_all POST    302  302   302  302  302  302  302  302   302  302
moderation:cases                  GET     404  404   404  404  200  404  200  404   404  404
moderation:case                   GET     404  404   404  404  200  404  200  404   404  404
moderation:case_record            POST    404  404   404  404  302  404  302  404   404  404
moderation:crises                 GET     200  200   200  200  200  200  200  200   200  200
moderation:crisis_declare         GET     403  403   403  200  200  403  403  403   403  403
moderation:crisis                 GET     200  200   200  200  200  200  200  200   200  200
moderation:crisis_log             POST    400  403   403  400  400  403  403  400   400  403
moderation:crisis_reply_add       POST    403  403   403  400  400  403  403  403   403  403
moderation:crisis_end             POST    403  403   403  400  400  403  403  403   403  403
moderation:report                 GET     403  200   200  403  200  403  403  403   403  403
moderation:report_export          GET     403  200   200  403  200  403  403  403   403  403
moderation:report_export_xlsx     GET     403  200   200  403  200  403  403  403   403  403
moderation:tokens                 GET     403  403   403  403  200  403  403  403   403  403
moderation:token_revoke           POST    403  403   403  403  302  403  403  403   403  403
moderation:replies                GET     403  403   403  200  200  403  403  403   403  403
moderation:reply_add              GET     403  403   403  200  200  403  403  403   403  403
moderation:reply_edit             GET     403  403   403  200  200  403  403  403   403  403
moderation:reply_retire           POST    403  403   403  302  302  403  403  403   403  403
moderation:consents               GET     200  200   200  200  200  403  403  200   200  403
moderation:consent_create         GET     200  200   200  200  200  403  403  200   200  403
moderation:consent                GET     404  404   404  200  200  404  404  200   200  404
moderation:consent_edit           GET     404  404   404  200  200  404  404  200   200  404
moderation:consent_withdraw       POST    404  404   404  302  302  404  404  302   302  404
moderation:consent_file           GET     404  404   404  200  200  404  404  200   200  404
moderation:crowd_create           GET     200  200   200  200  200  403  403  200   200  403
moderation:crowd                  GET     404  404   404  200  200  404  404  200   200  404
moderation:crowd_objection        POST    404  404   404  302  302  404  404  302   302  404
moderation:credit_create          GET     200  200   200  200  200  403  403  200   200  403
moderation:credit                 GET     404  404   404  200  200  404  404  200   200  404
moderation:credit_file            GET     404  404   404  200  200  404  404  200   200  404
moderation:planned_create         GET     200  200   200  200  200  403  403  200   200  403
moderation:planned                GET     404  404   404  200  200  404  404  200   200  404
moderation:planned_link           POST    404  404   404  400  400  404  404  400   400  404
moderation:planned_published      POST    404  404   404  400  400  404  404  400   400  404
moderation:publication            GET     404  404   404  200  200  404  404  200   200  404
moderation:publication_link       POST    404  404   404  400  400  404  404  400   400  404
moderation:affected_handled       POST    404  404   404  400  400  404  404  400   400  404
archive:item_screenshot           POST    404  404   403  404  403  404  404  400   400  404
archive:item_evidence             POST    404  404   403  404  403  404  404  400   400  404
archive:item_capture              POST    404  404   403  404  403  404  404  302   302  404
archive:startpage                 GET     404  404   200  200  200  200  404  200   200  404
archive:startpage_capture         POST    404  404   403  403  403  403  404  302   302  404
archive:screenshot                GET     404  404   200  404  200  404  404  200   200  404
archive:stamped                   GET     404  404   200  404  200  404  404  200   200  404
archive:stamped#startpage         GET     404  404   200  200  200  200  404  200   200  404
archive:package_build             POST    404  404   403  404  403  404  404  400   400  404
archive:package                   GET     404  404   200  404  200  200  404  200   200  404
archive:package_download          GET     404  404   200  404  200  200  404  200   200  404
archive:package_register          POST    404  404   403  404  403  302  404  403   403  404
archive:package_correct           POST    404  404   403  404  403  400  404  403   403  404
archive:registry_queue            GET     403  403   403  403  403  200  403  403   403  403
archive:search                    GET     403  403   403  403  200  200  403  403   403  403
archive:search_export             GET     403  403   403  403  400  400  403  403   403  403
archive:search_export_xlsx        GET     403  403   403  403  400  400  403  403   403  403
archive:exports                   GET     403  403   403  403  200  200  403  403   403  403
archive:export                    GET     404  404   404  404  200  200  404  404   404  404
archive:export_download           GET     404  404   404  404  200  200  404  404   404  404
archive:secrecy_reviews           GET     403  403   403  403  200  200  403  403   403  403
archive:secrecy_open              GET     403  403   403  403  302  302  403  403   403  403
archive:secrecy_review            GET     404  404   404  404  200  200  404  404   404  404
archive:secrecy_mark              POST    404  404   404  404  400  400  404  404   404  404
archive:secrecy_unmark            POST    404  404   404  404  302  302  404  404   404  404
archive:secrecy_release           GET     404  404   404  404  200  200  404  404   404  404
archive:secrecy_download          GET     404  404   404  404  200  200  404  404   404  404
archive:secrecy_screenshot        GET     404  404   404  404  200  200  404  404   404  404
archive:retention                 GET     403  403   403  403  403  200  403  403   403  403
archive:retention_rule            GET     404  404   404  404  404  200  404  404   404  404
archive:disposals                 GET     403  403   403  403  403  200  403  403   403  403
archive:disposal_propose          POST    403  403   403  403  403  302  403  403   403  403
archive:disposal                  GET     404  404   404  404  404  200  404  404   404  404
archive:disposal_exclude          POST    404  404   404  404  404  302  404  404   404  404
archive:disposal_approve          POST    404  404   404  404  404  400  404  404   404  404
archive:disposal_reject           POST    404  404   404  404  404  400  404  404   404  404
archive:holds                     GET     403  403   403  403  200  200  403  403   403  403
archive:hold_create               POST    403  403   403  403  400  400  403  403   403  403
archive:hold_lift                 POST    404  404   404  404  400  400  404  404   404  404
connectors:overview               GET     403  403   403  403  200  403  403  403   403  403
connectors:account                GET     404  404   200  200  200  200  404  200   200  404
connectors:connect                POST    404  404   403  400  400  403  404  400   400  404
connectors:token                  POST    404  404   403  400  400  403  404  400   400  404
connectors:disconnect             GET     404  404   403  200  200  403  404  200   200  404
connectors:oauth_start            POST    404  404   403  302  302  403  404  302   302  404
connectors:oauth_callback         GET     400  400   400  400  400  400  400  400   400  400
connectors:oauth_choose           POST    400  400   400  400  400  400  400  400   400  400
connectors:outgoing_check         POST    404  404   403  404  403  404  404  302   302  404
connectors:outgoing_retry         POST    404  404   403  404  403  404  404  302   302  404
connectors_hooks:meta_webhook     GET     403  403   403  403  403  403  403  403   403  403
api:items                         POST    401  401   401  401  401  401  401  401   401  401
api:item                          GET     401  401   401  401  401  401  401  401   401  401
api-schema                        GET     200  200   200  200  200  200  200  200   200  200
"""

# The sign-on routes answer 404 until single sign-on is configured (KANALVAKT_SSO); they are the
# anonymous visitor's way in and are walked by test_access_anonymous.py, not by role.
NOT_BY_ROLE = {"sso_login", "sso_acs", "sso_metadata"}

POST_DATA: dict[str, dict[str, Any]] = {
    "set_language": {"language": "en", "next": "/"},
    "governance:request_check": {"sender_type": "subject", "platform": "instagram", "handle": "fysik"},
    "governance:request_review": {"action": "accept", "advice": "Inget befintligt konto fyller behovet."},
    "governance:request_decide": {
        "action": "approve",
        "reason": "Väl förberett och bemannat.",
        "confirm": "on",
    },
    "governance:request_comment": {"comment": "Glöm inte resursinventeringen."},
    "governance:request_discard": {"discard-confirm": "on"},
    "governance:campaign_decide": {"action": "approve", "reason": ""},
    "accounts:confirm": {"what": "notice"},
    "accounts:ambassador_decide": {"action": "approve", "reason": ""},
    "accounts:ambassador_end": {"reason": "Uppdraget avslutas i förtid."},
    "moderation:classify": {"triage-classification": "question", "triage-note": ""},
    "moderation:answer": {"answer-answer": "Anmälan öppnar den 15 mars."},
    "moderation:close": {"close-reason": "Ett tack, inget att svara på."},
    "moderation:escalate": {"escalate-target": "head", "escalate-note": "Gäller hela institutionen."},
    "moderation:remove": {"remove-note": "Borttagen."},
    "moderation:registration": {"registration-decision": "not_needed"},
    "moderation:case_record": {"kind": "note", "note": "Polisanmälan övervägs."},
    "moderation:consent_withdraw": {"note": "Återkallat per e-post."},
    "moderation:crowd_objection": {"text": "En student bad att inte synas."},
    # The confirmation page of a bulk action on the world's item (ITEM is replaced by its id).
    "moderation:bulk": {"action": "take", "items": "ITEM"},
    "archive:package_register": {"diary_number": "KAU 2026/123"},
    # The world's package is not registered yet: the registrar is let in and told to register it.
    "archive:package_correct": {"diary_number": "KAU 2026/124", "reason": "Fel siffra."},
    "api:items": {"kind": "comment", "platform_id": "p-api", "author": "@x", "text": "Hej"},
}


def _rows() -> dict[str, tuple[str, dict[str, int]]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, body = lines[0], lines[1:]
    assert header[2:] == list(ROLES), "the table's columns are the roles of access_support.ROLES"
    rows: dict[str, tuple[str, dict[str, int]]] = {}
    for view, method, *cells in body:
        assert view not in rows, f"{view} appears twice"
        assert len(cells) == len(ROLES), f"{view}: one status per role"
        rows[view] = (method, dict(zip(ROLES, map(int, cells), strict=True)))
    return rows


ROWS = _rows()
ROUTES = {route.name: route for route in walk() if route.name and not route.is_admin}


def test_every_named_view_is_in_the_table() -> None:
    """A view added to the URLconf must be added to the table, with what each role gets."""
    in_table = {view.split("#")[0] for view in ROWS}
    missing = sorted(set(ROUTES) - in_table - NOT_BY_ROLE)
    assert not missing, f"views missing from the role-by-view table: {missing}"
    gone = sorted(in_table - set(ROUTES))
    assert not gone, f"the table names views that no longer exist: {gone}"


def visit(client: Client, route: Route, url: str, method: str, data: dict[str, Any]) -> int:
    """One request, rolled back afterwards, so that nobody's visit changes another's."""
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        elif route.is_api:
            response = client.post(url, data, content_type="application/json")
        else:
            response = client.post(url, data)
        transaction.set_rollback(True)
    return int(response.status_code)


@pytest.mark.postgres
@pytest.mark.parametrize("view", list(ROWS))
def test_each_role_gets_what_the_policy_gives_it(
    db: None, world: World, sessions: dict[str, str], view: str
) -> None:
    method, expected = ROWS[view]
    route = ROUTES[view.split("#")[0]]
    url = url_for(route, world, key=view)
    data = {
        name: str(world["item"].pk) if value == "ITEM" else value
        for name, value in POST_DATA.get(view, {}).items()
    }
    got = {role: visit(signed_in(sessions, role), route, url, method, data) for role in ROLES}
    wrong = {
        role: f"expected {expected[role]}, got {got[role]}" for role in ROLES if got[role] != expected[role]
    }
    assert not wrong, f"{method} {url} ({view}): {wrong}"


@pytest.mark.postgres
def test_no_role_reaches_the_admin(db: None, world: World, sessions: dict[str, str]) -> None:
    """The admin is for staff only, and no role is staff: each role is sent from the admin's index to
    the admin's sign-in, and the social media lead, the widest role, from every page of the admin."""
    admin = [route for route in walk() if route.is_admin and route.name != "admin:login"]
    checks = [(role, "admin:index") for role in ROLES] + [("lead", route.key) for route in admin]
    by_key = {route.key: route for route in admin}
    for role, key in checks:
        url = url_for(by_key[key], world)
        response = signed_in(sessions, role).get(url)
        # The admin's sign-out sends a non-staff visitor to the index, which sends them to sign in.
        target = "/admin/" if key == "admin:logout" else "/admin/login/?next="
        assert response.status_code == 302, f"{role} GET {url}: {response.status_code}"
        assert response["Location"].startswith(target), f"{role} GET {url}: {response['Location']}"
