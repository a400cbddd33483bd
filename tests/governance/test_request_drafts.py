"""One draft per request, edited in place; a draft the requester no longer wants can be discarded,
and nothing submitted is ever deleted (KAU-START-CHECKLIST, KAU-PUBLIC-RECORD)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.urls import reverse

from governance import services, workflow
from governance.models import AccountRequest, RequestEvent
from tests.conftest import Cast
from tests.governance.factories import make_request
from tests.governance.test_request_views import form_data

pytestmark = pytest.mark.django_db


def form_action(body: str) -> str:
    """Where the request form on the page posts to."""
    match = re.search(r'<form method="post" action="([^"]+)" class="form request-form"', body)
    assert match, "the request form names where it posts"
    return match.group(1)


def test_a_refused_submission_fixed_and_sent_again_submits_the_same_draft(client: Client, cast: Cast) -> None:
    """KAU-START-CHECKLIST: "Save and submit" with a part missing saves a draft and names the part;
    fixing it and submitting again submits that draft, not a second request."""
    client.force_login(cast["communicator"])
    incomplete = form_data(cast, action="submit", checklist_goals="")
    response = client.post(reverse("governance:request_create"), incomplete)
    assert response.status_code == 400
    draft = AccountRequest.objects.get()
    assert draft.status == AccountRequest.Status.DRAFT
    action = form_action(response.content.decode())
    assert action == reverse("governance:request_edit", args=[draft.pk])

    response = client.post(action, form_data(cast, action="submit"))
    assert response.status_code == 302
    assert list(AccountRequest.objects.values_list("pk", "status")) == [(draft.pk, "submitted")]


def test_a_refused_save_of_a_new_request_still_posts_to_new(client: Client, cast: Cast) -> None:
    """A form refused before anything is saved has no draft yet: it posts to "new" again."""
    client.force_login(cast["communicator"])
    response = client.post(reverse("governance:request_create"), form_data(cast, resource_hours_per_week="x"))
    assert response.status_code == 400
    assert not AccountRequest.objects.exists()
    assert form_action(response.content.decode()) == reverse("governance:request_create")


def test_the_edit_page_posts_to_the_draft(client: Client, cast: Cast) -> None:
    req = make_request(cast)
    client.force_login(cast["communicator"])
    body = client.get(reverse("governance:request_edit", args=[req.pk])).content.decode()
    assert form_action(body) == reverse("governance:request_edit", args=[req.pk])


# --- Discarding a draft ----------------------------------------------------------------------------------


def discard(client: Client, req: AccountRequest, **data: Any) -> Any:
    return client.post(reverse("governance:request_discard", args=[req.pk]), data)


def test_the_requester_discards_a_draft_after_confirming(client: Client, cast: Cast) -> None:
    req = make_request(cast)
    client.force_login(cast["communicator"])
    detail = client.get(req.get_absolute_url()).content.decode()
    assert reverse("governance:request_discard", args=[req.pk]) in detail
    response = discard(client, req, **{"discard-confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:request_list")
    assert not AccountRequest.objects.filter(pk=req.pk).exists()
    assert not RequestEvent.objects.filter(request_id=req.pk).exists()


def test_discarding_without_confirming_changes_nothing(client: Client, cast: Cast) -> None:
    req = make_request(cast)
    client.force_login(cast["communicator"])
    response = discard(client, req)
    assert response.status_code == 400
    assert 'name="discard-confirm"' in response.content.decode()
    assert response.context["discard_form"].errors["confirm"]
    assert AccountRequest.objects.filter(pk=req.pk, status="draft").exists()


@pytest.mark.parametrize(
    ("person", "status"),
    [("deputy", 403), ("head_of_unit", 403), ("social_media_lead", 403), ("outsider", 404)],
)
def test_only_the_requester_discards(client: Client, cast: Cast, person: str, status: int) -> None:
    req = make_request(cast)
    client.force_login(cast[person])
    assert discard(client, req, **{"discard-confirm": "on"}).status_code == status
    assert AccountRequest.objects.filter(pk=req.pk).exists()


@pytest.mark.parametrize("state", ["submitted", "returned", "reviewed", "approved", "rejected", "withdrawn"])
def test_a_submitted_request_is_never_discarded(client: Client, cast: Cast, state: str) -> None:
    """KAU-PUBLIC-RECORD: once submitted a request is a public record, whatever became of it."""
    req = make_request(cast, state=state)
    client.force_login(cast["communicator"])
    detail = client.get(req.get_absolute_url()).content.decode()
    assert reverse("governance:request_discard", args=[req.pk]) not in detail
    assert discard(client, req, **{"discard-confirm": "on"}).status_code == 409
    assert AccountRequest.objects.get(pk=req.pk).status == state
    with pytest.raises(workflow.InvalidTransition):
        services.discard_draft(req.pk, by=cast["communicator"])
    assert AccountRequest.objects.filter(pk=req.pk).exists()


def test_a_withdrawn_draft_is_a_record_and_stays(client: Client, cast: Cast) -> None:
    """A draft withdrawn is on record as withdrawn; only a draft still a draft is discarded."""
    req = make_request(cast, state="withdrawn")
    with pytest.raises(workflow.InvalidTransition):
        services.discard_draft(req.pk, by=cast["communicator"])
    assert AccountRequest.objects.filter(pk=req.pk).exists()


def test_the_admin_deletes_no_request(client: Client, cast: Cast, django_user_model: Any) -> None:
    """KAU-PUBLIC-RECORD: not even a superuser deletes a request in the admin, draft or submitted."""
    submitted, draft = make_request(cast, state="submitted"), make_request(cast, name="Utkast", handle="utk")
    admin_user = django_user_model.objects.create_superuser("root", "root@kau.se", "pw-root-0123")
    model_admin = site._registry[AccountRequest]
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    assert not model_admin.has_delete_permission(request, submitted)
    assert not model_admin.has_delete_permission(request, draft)
    assert "delete_selected" not in model_admin.get_actions(request)
    client.force_login(admin_user)
    for req in (submitted, draft):
        url = reverse("admin:governance_accountrequest_delete", args=[req.pk])
        assert client.post(url, {"post": "yes"}).status_code == 403
    assert AccountRequest.objects.filter(pk__in=[submitted.pk, draft.pk]).count() == 2


def test_every_error_link_leads_to_its_field(client: Client, cast: Cast) -> None:
    """The list of what to fix links to each part, checkbox groups included: every link's target is
    on the page."""
    client.force_login(cast["communicator"])
    unit = str(cast.units["department"].pk)
    empty = {"action": "submit", "unit": unit, "platform": "instagram", "name": "Ny"}
    empty["profile_picture"] = "university"
    response = client.post(reverse("governance:request_create"), empty)
    assert response.status_code == 400
    body = response.content.decode()
    summary = body.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert {"id_areas", "id_audiences", "id_terms_checked", "id_proposed_deputies"} <= {
        t.removesuffix("_0").removesuffix("_group") for t in targets
    }
    missing = [target for target in targets if f'id="{target}"' not in body]
    assert missing == []
