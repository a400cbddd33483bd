"""The consent register's pages (KAU-CONSENT, KAU-CREDIT): the register, a consent, a crowd situation, a
photographer credit, a planned post and a published post with what it relies on, and the actions on
them. Each view: the register's gate (403) and the record among those one may see (404), the form, one
service call in moderation.consents, redirect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.calendar import local_today
from core.forms import add_service_errors
from core.http import signed_in
from core.models import User
from core.uploads import FILE_CSP, image_response
from moderation import consents
from moderation.consent_files import PDF_TYPE
from moderation.consent_forms import (
    ConsentEditForm,
    ConsentForm,
    CreditForm,
    CrowdForm,
    HandledForm,
    LinkForm,
    ObjectionForm,
    PlannedPostForm,
    PublishedForm,
    RegisterFilterForm,
    WithdrawForm,
)
from moderation.models import AffectedPost, Consent, PhotographerCredit, PlannedPost, Publication

SHOWN = 100
# The history's reasons (core.history.record) as people read them.
REASONS: dict[str, Any] = {
    "consent recorded": gettext_lazy("Recorded"),
    "consent changed": gettext_lazy("Corrected"),
    "consent withdrawn": gettext_lazy("Withdrawn"),
    "crowd situation recorded": gettext_lazy("Recorded"),
    "objection recorded": gettext_lazy("Objection recorded"),
    "photographer credit recorded": gettext_lazy("Recorded"),
}


def _history(obj: Any) -> list[Any]:
    rows = list(obj.history.select_related("history_user").order_by("-history_date"))
    for row in rows:
        row.label = REASONS.get(row.history_change_reason or "", gettext_lazy("Changed"))
    return rows


def _user(request: HttpRequest) -> User:
    user = signed_in(request)
    if not consents.may_use_register(user):
        raise PermissionDenied
    return user


def _upload(request: HttpRequest) -> bytes | None:
    upload = request.FILES.get("file")
    return upload.read() if upload is not None else None


@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """The register: consents filtered by state and searched by name, crowd situations, photographer
    credits and planned posts, each through its one gate. A fixed number of queries."""
    user = _user(request)
    now = timezone.now()
    today = local_today(now)
    form = RegisterFilterForm(request.GET)
    state, q = ("", "")
    if form.is_valid():
        state, q = form.cleaned_data["state"], form.cleaned_data["q"].strip()
    rows = consents.consents_visible_to(user)
    if state == "valid":
        rows = rows.valid_on(today)
    elif state == "expiring":
        rows = rows.expiring(today)
    elif state == "withdrawn":
        rows = rows.withdrawn()
    if q:
        rows = rows.filter(person_name__icontains=q)
    crowds = consents.crowds_visible_to(user)
    credits = consents.credits_visible_to(user)
    if q:
        crowds = crowds.filter(place__icontains=q)
        credits = credits.filter(photographer__icontains=q)
    shown = list(rows.select_related("unit").prefetch_related("accounts")[:SHOWN])
    for consent in shown:
        consent.shown_state = consent.state(today)  # type: ignore[attr-defined]
    context = {
        "form": form,
        "consents": shown,
        "crowds": list(crowds.select_related("unit")[:SHOWN]),
        "credits": list(credits.select_related("unit")[:SHOWN]),
        "planned": list(
            consents.planned_visible_to(user)
            .filter(publication__isnull=True)
            .select_related("account")[:SHOWN]
        ),
        "publications": list(
            consents.publications_visible_to(user)
            .filter(kind=Publication.Kind.POST)
            .select_related("account")
            .order_by("-published_at", "-pk")[:20]
        ),
    }
    return render(request, "moderation/consent_list.html", context)


FORMS: dict[str, tuple[Any, Any, bool]] = {
    "consent": (gettext_lazy("Record a consent"), gettext_lazy("Record the consent"), True),
    "consent_edit": (gettext_lazy("Correct the consent"), gettext_lazy("Save the changes"), False),
    "crowd": (gettext_lazy("Record a crowd situation"), gettext_lazy("Record the crowd situation"), False),
    "credit": (gettext_lazy("Record a photographer credit"), gettext_lazy("Record the credit"), True),
    "planned": (gettext_lazy("Plan a post"), gettext_lazy("Save the planned post"), False),
}


def _form_page(
    request: HttpRequest, which: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    heading, submit, multipart = FORMS[which]
    context = {**context, "heading": heading, "submit": submit, "multipart": multipart}
    return render(request, "moderation/consent_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        form = ConsentForm(user=user, initial={"given_on": local_today(timezone.now())})
        return _form_page(request, "consent", {"form": form})
    form = ConsentForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("file")
        data["accounts"] = list(data["accounts"])
        try:
            consent = consents.record_consent(**data, data=_upload(request), by=user, now=timezone.now())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The consent is recorded."))
            return redirect("moderation:consent", consent.pk)
    return _form_page(request, "consent", {"form": form}, status=400)


def _consent(request: HttpRequest, pk: int) -> tuple[User, Consent]:
    user = signed_in(request)
    return user, consents.or_404(consents.consents_visible_to(user), pk)


def _consent_page(
    request: HttpRequest, consent: Consent, *, withdraw: WithdrawForm | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    links = list(
        consent.links.select_related("publication__account", "planned__account", "linked_by").order_by("pk")
    )
    context = {
        "consent": consent,
        "state": consent.state(local_today(now)),
        "accounts": list(consent.accounts.order_by("name")),
        "links": links,
        "affected": list(
            consent.affected_posts.select_related("account", "publication", "planned", "handled_by")
        ),
        "history": _history(consent),
        "withdraw_form": withdraw or WithdrawForm(),
    }
    return render(request, "moderation/consent_detail.html", context, status=status)


@require_GET
def consent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer, consent = _consent(request, pk)
    return _consent_page(request, consent)


@require_http_methods(["GET", "POST"])
def consent_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user, consent = _consent(request, pk)
    if request.method != "POST":
        initial = {
            "person_name": consent.person_name,
            "material": consent.material,
            "valid_until": consent.valid_until,
            "unit": consent.unit_id,
            "accounts": list(consent.accounts.values_list("pk", flat=True)),
        }
        form = ConsentEditForm(user=user, initial=initial)
        return _form_page(request, "consent_edit", {"form": form, "consent": consent})
    form = ConsentEditForm(request.POST, user=user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["accounts"] = list(data["accounts"])
        try:
            consents.change_consent(consent, **data, by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The consent is saved."))
            return redirect("moderation:consent", consent.pk)
    return _form_page(request, "consent_edit", {"form": form, "consent": consent}, status=400)


@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a consent (KAU-CONSENT): a note is required; the affected posts are listed."""
    user, consent = _consent(request, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            affected = consents.withdraw_consent(
                consent, note=form.cleaned_data["note"], by=user, now=timezone.now()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The consent is withdrawn. Posts affected: %(count)d. Their owners are told.")
                % {"count": len(affected)},
            )
            return redirect("moderation:consent", consent.pk)
    consent.refresh_from_db()
    return _consent_page(request, consent, withdraw=form, status=400)


def _file_response(obj: Consent | PhotographerCredit) -> FileResponse:
    if not obj.file:
        raise Http404
    handle = obj.file.open("rb")
    filename = f"{obj.file_sha256[:16]}.{obj.file_extension}"
    if obj.file_type != PDF_TYPE:
        response = image_response(handle, content_type=obj.file_type, filename=filename)
        response["Cache-Control"] = "private, no-store"  # personal data: kept by no cache
        return response
    response = FileResponse(handle, content_type=PDF_TYPE)
    # A PDF is downloaded, never shown in the page: nothing in it runs in Kanalvakt's origin.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def consent_file(request: HttpRequest, pk: int) -> FileResponse:
    """The signed form or digital confirmation, to the people who may see the consent."""
    _viewer, consent = _consent(request, pk)
    return _file_response(consent)


@require_http_methods(["GET", "POST"])
def crowd_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        return _form_page(request, "crowd", {"form": CrowdForm(user=user)})
    form = CrowdForm(request.POST, user=user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["accounts"] = list(data["accounts"])
        try:
            crowd = consents.record_crowd(**data, by=user, now=timezone.now())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The crowd situation is recorded."))
            return redirect("moderation:crowd", crowd.pk)
    return _form_page(request, "crowd", {"form": form}, status=400)


def _crowd_page(request: HttpRequest, crowd: Any, form: ObjectionForm, *, status: int = 200) -> HttpResponse:
    context = {
        "crowd": crowd,
        "accounts": list(crowd.accounts.order_by("name")),
        "links": list(crowd.links.select_related("publication__account", "planned__account")),
        "history": _history(crowd),
        "form": form,
    }
    return render(request, "moderation/consent_crowd_detail.html", context, status=status)


@require_GET
def crowd_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    crowd = consents.or_404(consents.crowds_visible_to(user), pk)
    return _crowd_page(request, crowd, ObjectionForm())


@require_POST
def crowd_objection(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an objection made in a crowd situation (KAU-CONSENT)."""
    user = signed_in(request)
    crowd = consents.or_404(consents.crowds_visible_to(user), pk)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            consents.add_objection(crowd, text=form.cleaned_data["text"], by=user, now=timezone.now())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The objection is recorded."))
            return redirect("moderation:crowd", crowd.pk)
    return _crowd_page(request, crowd, form, status=400)


@require_http_methods(["GET", "POST"])
def credit_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        return _form_page(request, "credit", {"form": CreditForm(user=user)})
    form = CreditForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("file")
        data["accounts"] = list(data["accounts"])
        try:
            credit = consents.record_credit(**data, data=_upload(request), by=user, now=timezone.now())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The photographer credit is recorded."))
            return redirect("moderation:credit", credit.pk)
    return _form_page(request, "credit", {"form": form}, status=400)


@require_GET
def credit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    credit = consents.or_404(consents.credits_visible_to(user), pk)
    context = {
        "credit": credit,
        "accounts": list(credit.accounts.order_by("name")),
        "links": list(credit.links.select_related("publication__account", "planned__account")),
        "history": _history(credit),
    }
    return render(request, "moderation/consent_credit_detail.html", context)


@require_GET
def credit_file(request: HttpRequest, pk: int) -> FileResponse:
    user = signed_in(request)
    return _file_response(consents.or_404(consents.credits_visible_to(user), pk))


@require_http_methods(["GET", "POST"])
def planned_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        form = PlannedPostForm(user=user, initial={"planned_for": local_today(timezone.now())})
        return _form_page(request, "planned", {"form": form})
    form = PlannedPostForm(request.POST, user=user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        post = consents.plan_post(data.pop("account"), **data, by=user, now=timezone.now())
        messages.success(request, _("The planned post is saved. Link its consents and credit."))
        return redirect("moderation:planned", post.pk)
    return _form_page(request, "planned", {"form": form}, status=400)


def _link_choices(user: User, now: datetime) -> list[tuple[str, Any]]:
    today = local_today(now)
    valid = consents.consents_visible_to(user).valid_on(today).order_by("person_name", "pk")
    choices: list[tuple[str, Any]] = [("", "—")]
    choices += [(f"consent:{c.pk}", _("Consent: %(name)s") % {"name": c.person_name}) for c in valid]
    crowds = consents.crowds_visible_to(user)
    choices += [(f"crowd:{c.pk}", _("Crowd situation: %(place)s") % {"place": c}) for c in crowds]
    credits = consents.credits_visible_to(user)
    choices += [(f"credit:{c.pk}", _("Photographer: %(name)s") % {"name": c.photographer}) for c in credits]
    return choices


def _post_page(
    request: HttpRequest,
    user: User,
    *,
    publication: Publication | None = None,
    planned: PlannedPost | None = None,
    link_form: LinkForm | None = None,
    published_form: PublishedForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    links = consents.links_of(publication=publication, planned=planned)
    has_image = bool(planned and planned.has_image)
    if publication is not None:
        has_image = has_image or PlannedPost.objects.filter(publication=publication, has_image=True).exists()
    context: dict[str, Any] = {
        "publication": publication,
        "planned": planned,
        "links": links,
        "credit_missing": consents.needs_credit(links, has_image=has_image),
        "link_form": link_form or LinkForm(choices=_link_choices(user, now)),
        "affected": list(
            AffectedPost.objects.filter(
                Q(publication=publication) if publication else Q(planned=planned)
            ).select_related("consent", "handled_by")
        ),
        "outcomes": AffectedPost.Outcome.choices,
    }
    if planned is not None and planned.publication_id is None:
        pubs = Publication.objects.filter(account_id=planned.account_id, planned_post__isnull=True).order_by(
            "-published_at"
        )[:50]
        choices = [("", "—")] + [(str(p.pk), f"{p.published_at:%Y-%m-%d}: {p.text[:60]}") for p in pubs]
        context["published_form"] = published_form or PublishedForm(choices=choices)
    return render(request, "moderation/consent_post.html", context, status=status)


@require_GET
def planned_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    planned = consents.or_404(consents.planned_visible_to(user).select_related("account"), pk)
    return _post_page(request, user, planned=planned)


@require_GET
def publication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A published post of the account with the consents, crowd situations and credit it relies on;
    a warning when it has people in it but no photographer credit (KAU-CREDIT)."""
    user = signed_in(request)
    publication = consents.or_404(consents.publications_visible_to(user).select_related("account"), pk)
    return _post_page(request, user, publication=publication)


def _link(
    request: HttpRequest, user: User, *, publication: Publication | None, planned: PlannedPost | None
) -> HttpResponse:
    now = timezone.now()
    form = LinkForm(request.POST, choices=_link_choices(user, now))
    if form.is_valid() and form.cleaned_data["record"]:
        kind, _sep, number = form.cleaned_data["record"].partition(":")
        gate = {
            "consent": consents.consents_visible_to,
            "crowd": consents.crowds_visible_to,
            "credit": consents.credits_visible_to,
        }[kind]
        target = consents.or_404(gate(user), int(number))
        try:
            consents.link_record(publication=publication, planned=planned, **{kind: target}, by=user, now=now)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The record is linked to the post."))
            return (
                redirect("moderation:publication", publication.pk)
                if publication
                else redirect(
                    "moderation:planned",
                    planned.pk,  # type: ignore[union-attr]
                )
            )
    elif form.is_valid():
        form.add_error("record", _("Choose the record to link."))
    return _post_page(request, user, publication=publication, planned=planned, link_form=form, status=400)


@require_POST
def publication_link(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    publication = consents.or_404(consents.publications_visible_to(user).select_related("account"), pk)
    return _link(request, user, publication=publication, planned=None)


@require_POST
def planned_link(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    planned = consents.or_404(consents.planned_visible_to(user).select_related("account"), pk)
    return _link(request, user, publication=None, planned=planned)


@require_POST
def planned_published(request: HttpRequest, pk: int) -> HttpResponse:
    """The planned post is published: link it to the account's publication."""
    user = signed_in(request)
    planned = consents.or_404(consents.planned_visible_to(user).select_related("account"), pk)
    pubs = Publication.objects.filter(account_id=planned.account_id).values_list("pk", flat=True)
    form = PublishedForm(request.POST, choices=[("", "—")] + [(str(p), str(p)) for p in pubs])
    if form.is_valid() and form.cleaned_data["publication"]:
        publication = Publication.objects.get(pk=int(form.cleaned_data["publication"]))
        try:
            consents.link_published(planned, publication=publication, by=user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The planned post is linked to its publication."))
            return redirect("moderation:publication", publication.pk)
    elif form.is_valid():
        form.add_error("publication", _("Choose the post it was published as."))
    return _post_page(request, user, planned=planned, status=400)


@require_POST
def affected_handled(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a post affected by a withdrawn consent handled (KAU-CONSENT): the account owner or a deputy
    (or the communications department and the lead). Bad input answers 400 and changes nothing."""
    user = signed_in(request)
    affected = consents.or_404(
        AffectedPost.objects.filter(account__in=consents.accounts_for(user).values("pk")).select_related(
            "publication__account", "planned__account"
        ),
        pk,
    )
    form = HandledForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            consents.mark_affected_handled(affected, **form.cleaned_data, by=user, now=timezone.now())
        except ValidationError as exc:
            problems = list(exc.messages)
        else:
            messages.success(request, _("The post is marked handled."))
            return redirect(_next(request))
    else:
        problems = [str(message) for errors in form.errors.values() for message in errors]
    for message in problems:
        messages.error(request, message)
    return _post_page(request, user, publication=affected.publication, planned=affected.planned, status=400)


def _next(request: HttpRequest) -> str:
    """Where to go after marking a post handled: the page it was marked on, if it is one of ours."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return str(reverse("core:home"))
