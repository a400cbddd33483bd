"""The export pages (KAU-PUBLIC-RECORD) against every role: asking for an export from the search page,
the list of exports, an export's status (as a page and as JSON) and the download of its bag.

Anonymous visitors are sent to sign in; the list and the export button are the registrar's and the
social media lead's (403 for anyone else); an export is seen and downloaded by the person who asked
for it and by those two roles (404 for anyone else).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive import exports
from archive.models import ExportJob
from tests.archive.export_support import (
    ARCHIVISTS,
    NOT_ARCHIVISTS,
    NOW,
    Archive,
    account,
    archive,
    make_item,
    media_root,
)
from tests.conftest import Cast
from tests.support import login

pytestmark = pytest.mark.django_db
# The shared fixtures, used here by name.
FIXTURES = (account, archive, make_item, media_root)

OTHERS = NOT_ARCHIVISTS


def make_job(cast: Cast, *, person: str = "registrar", run: bool = True, **criteria: Any) -> ExportJob:
    job = exports.request_export(
        by=cast[person], now=NOW, criteria=criteria or {"text": "biblioteket"}, description="Begäran 17"
    )
    if run:
        exports.run_export(job.pk, now=NOW)
    return ExportJob.objects.get(pk=job.pk)


def assert_sent_to_sign_in(response: Any) -> None:
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- Asking for an export -----------------------------------------------------------------------------


@pytest.mark.parametrize("person", ARCHIVISTS)
def test_the_export_button_starts_an_export_of_the_same_criteria(
    client: Client, cast: Cast, archive: Archive, person: str, django_capture_on_commit_callbacks: Any
) -> None:
    """KAU-PUBLIC-RECORD: the job records who exported what, and when."""
    login(client, cast, person)
    data = {"unit": cast.units["department"].pk, "start": "2026-11-01", "end": "2026-11-30"}
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("archive:exports"), {**data, "description": "Begäran 2026/17"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("archive:export", args=[job.pk])
    assert len(callbacks) == 1  # the task, after commit
    assert job.requested_by == cast[person]
    assert job.description == "Begäran 2026/17"
    assert (job.criteria["unit"], job.criteria["start"], job.criteria["end"]) == (
        cast.units["department"].pk,
        "2026-11-01",
        "2026-11-30",
    )


def test_an_export_of_nothing_or_a_bad_period_is_400_and_stores_nothing(client: Client, cast: Cast) -> None:
    login(client, cast, "registrar")
    response = client.post(reverse("archive:exports"), {"description": "Allt"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    response = client.post(reverse("archive:exports"), {"start": "2026-11-30", "end": "2026-11-01"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors
    response = client.post(reverse("archive:exports"), {"account": "999999"})
    assert response.status_code == 400
    assert "account" in response.context["form"].errors
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("person", OTHERS)
def test_nobody_else_may_export(client: Client, cast: Cast, person: str) -> None:
    login(client, cast, person)
    assert client.post(reverse("archive:exports"), {"text": "biblioteket"}).status_code == 403
    assert not ExportJob.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(
    client: Client, cast: Cast, archive: Archive
) -> None:
    job = make_job(cast)
    assert_sent_to_sign_in(client.get(reverse("archive:exports")))
    assert_sent_to_sign_in(client.post(reverse("archive:exports"), {"text": "x"}))
    assert_sent_to_sign_in(client.get(reverse("archive:export", args=[job.pk])))
    assert_sent_to_sign_in(client.get(reverse("archive:export", args=[job.pk]), {"format": "json"}))
    assert_sent_to_sign_in(client.get(reverse("archive:export_download", args=[job.pk])))
    assert ExportJob.objects.count() == 1


def test_asking_for_an_export_needs_the_csrf_token(cast: Cast, archive: Archive) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["registrar"])
    assert client.post(reverse("archive:exports"), {"text": "biblioteket"}).status_code == 403
    assert not ExportJob.objects.exists()
    page = client.get(reverse("archive:search"), {"text": "biblioteket"})
    token = page.context["csrf_token"]
    response = client.post(reverse("archive:exports"), {"text": "biblioteket", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert ExportJob.objects.count() == 1


def test_only_post_and_get_reach_the_list(client: Client, cast: Cast) -> None:
    login(client, cast, "registrar")
    assert client.put(reverse("archive:exports")).status_code == 405
    assert client.post(reverse("archive:export", args=[1])).status_code == 405
    assert client.post(reverse("archive:export_download", args=[1])).status_code == 405


# --- The list -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ARCHIVISTS)
def test_the_list_shows_own_exports_and_every_export(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    mine = make_job(cast, person=person)
    other = "social_media_lead" if person == "registrar" else "registrar"
    theirs = make_job(cast, person=other)
    login(client, cast, person)
    response = client.get(reverse("archive:exports"))
    assert response.status_code == 200
    assert [job.pk for job in response.context["own"]] == [mine.pk]
    assert {job.pk for job in response.context["everyone"]} == {mine.pk, theirs.pk}
    body = response.content.decode()
    assert reverse("archive:export_download", args=[theirs.pk]) in body
    assert "Begäran 17" in body


@pytest.mark.parametrize("person", OTHERS)
def test_the_list_is_refused_to_everyone_else(client: Client, cast: Cast, person: str) -> None:
    login(client, cast, person)
    assert client.get(reverse("archive:exports")).status_code == 403


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("archive:exports"))
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_takes_the_same_queries_for_one_export_or_many(
    client: Client, cast: Cast, archive: Archive
) -> None:
    make_job(cast, run=False)
    login(client, cast, "registrar")
    one = _list_queries(client)
    for person in ("registrar", "social_media_lead") * 4:
        make_job(cast, person=person, run=False)
    make_job(cast)
    assert _list_queries(client) == one


# --- An export's status ---------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["registrar", "social_media_lead"])
def test_the_status_page_for_the_requester_and_the_archivists(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    job = make_job(cast, person="registrar", run=False)
    login(client, cast, person)
    response = client.get(reverse("archive:export", args=[job.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<progress id="export-progress" max="100" value="0"' in body
    assert 'aria-live="polite"' in body
    assert "js/archive-export.js" in body
    assert 'http-equiv="refresh"' not in body  # no automatic reloads (WCAG 2.2.1)
    assert f'href="{reverse("archive:export", args=[job.pk])}"' in body  # Refresh without JS
    assert f'data-export-status="{reverse("archive:export", args=[job.pk])}?format=json"' in body


@pytest.mark.parametrize("person", OTHERS)
def test_an_export_is_not_found_by_anyone_else(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    job = make_job(cast)
    login(client, cast, person)
    assert client.get(reverse("archive:export", args=[job.pk])).status_code == 404
    assert client.get(reverse("archive:export", args=[job.pk]), {"format": "json"}).status_code == 404
    assert client.get(reverse("archive:export_download", args=[job.pk])).status_code == 404


def test_the_json_status_follows_the_job(client: Client, cast: Cast, archive: Archive) -> None:
    job = make_job(cast, run=False)
    login(client, cast, "registrar")
    url = reverse("archive:export", args=[job.pk])
    waiting = client.get(url, {"format": "json"}).json()
    assert waiting["status"] == "queued"
    assert waiting["finished"] is False
    assert waiting["percent"] == 0
    assert waiting["download_url"] is None
    ExportJob.objects.filter(pk=job.pk).update(status="running", total=40, done=10)
    running = client.get(url, HTTP_ACCEPT="application/json").json()
    assert (running["status"], running["done"], running["total"], running["percent"]) == (
        "running",
        10,
        40,
        25,
    )
    assert "25" in running["message"]
    ExportJob.objects.filter(pk=job.pk).update(status="queued", total=0, done=0)
    exports.run_export(job.pk, now=NOW)
    done = client.get(url, {"format": "json"}).json()
    assert done["status"] == "done"
    assert done["finished"] is True
    assert done["percent"] == 100
    assert done["download_url"] == reverse("archive:export_download", args=[job.pk])
    assert len(done["sha256"]) == 64


def test_a_failed_export_shows_its_error(client: Client, cast: Cast, archive: Archive) -> None:
    job = make_job(cast, run=False)
    ExportJob.objects.filter(pk=job.pk).update(status="failed", error="OSError: the disk is full")
    login(client, cast, "registrar")
    response = client.get(reverse("archive:export", args=[job.pk]))
    assert response.status_code == 200
    assert "OSError: the disk is full" in response.content.decode()
    status = client.get(reverse("archive:export", args=[job.pk]), {"format": "json"}).json()
    assert status["error"] == "OSError: the disk is full"
    assert status["finished"] is True


# --- The download ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["registrar", "social_media_lead"])
def test_the_bag_downloads_as_a_zip_attachment(
    client: Client, cast: Cast, archive: Archive, person: str
) -> None:
    job = make_job(cast, person="registrar")
    login(client, cast, person)
    response = client.get(reverse("archive:export_download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"kanalvakt-export-{job.pk}-bagit.zip" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert len(data) == job.size
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert f"kanalvakt-export-{job.pk}/README.txt" in names
    assert f"kanalvakt-export-{job.pk}/manifest-sha512.txt" in names
    assert ExportJob.objects.count() == 1  # the download logs nothing more: the job is the log


def test_the_requester_keeps_their_export_after_losing_the_role(
    client: Client, cast: Cast, archive: Archive
) -> None:
    job = make_job(cast, person="registrar")
    cast["registrar"].groups.clear()
    login(client, cast, "registrar")
    assert client.get(reverse("archive:export_download", args=[job.pk])).status_code == 200
    assert client.get(reverse("archive:exports")).status_code == 403


def test_an_unfinished_export_has_nothing_to_download(client: Client, cast: Cast, archive: Archive) -> None:
    job = make_job(cast, run=False)
    login(client, cast, "registrar")
    assert client.get(reverse("archive:export_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("archive:export_download", args=[999999])).status_code == 404
