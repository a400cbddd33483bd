"""The moderation pages: "my queue", the inbox of an account, logging an item by hand, the item page
with its full log, every action on an item and the acknowledgement of alerts. Screenshots of an item,
the evidence among them, are uploaded and served by the archive (archive.screenshot_views).

Each view: the item or account the person may see (or 404, moderation.selectors), the right to
moderate it (or 403, selectors.may_moderate), the form, one service call, redirect. A service's
refusal is shown on the field it names (400); an item already dealt with is 409.

Lists are paged by key, never by offset: "my queue" on (due_at, id), the inbox on (received_at,
id) descending, so a page costs the same few queries however many items there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Account
from core.calendar import WorkingCalendar
from core.forms import add_service_errors
from core.http import signed_in
from core.models import InstitutionSettings, User
from moderation import services
from moderation.forms import (
    AnswerForm,
    CloseForm,
    EscalateForm,
    EvidenceForm,
    InboxFilterForm,
    ItemForm,
    QueueFilterForm,
    RegistrationForm,
    RemoveForm,
    TriageForm,
)
from moderation.itemlog import SNAPSHOT_FIELDS
from moderation.models import Classification, Item, LogEntry, Prohibited, Publication, Registration
from moderation.replies import replies_for_account
from moderation.reply_forms import ChooseReplyForm
from moderation.sections import answer_destination, item_sections
from moderation.selectors import (
    account_inbox_or_404,
    item_or_404,
    item_to_moderate,
    items_to_answer,
    may_moderate,
    may_read_account_items,
)

PAGE_SIZE = 50
KEY_PARAM = "efter"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _calendar() -> WorkingCalendar:
    """The institution's working days (KAU-RESPONSE-DEADLINE): one query per page."""
    return InstitutionSettings.objects.get_solo().working_calendar()


# --- Keyset pagination -----------------------------------------------------------------------------------


def _key(moment: datetime, pk: int, rank: int = 0) -> str:
    """A row's position as text: its severity rank, microseconds since the epoch (exact, unlike a
    float) and the id."""
    return f"{rank}.{(moment - _EPOCH) // timedelta(microseconds=1)}.{pk}"


def _parse_key(raw: str | None) -> tuple[int, datetime, int] | None:
    """The position a "next page" link carries, or None for the first page (or a key that is not one).
    A key of two parts (written before the lists were sorted by severity) has rank 0."""
    try:
        parts = (raw or "").split(".")
        if len(parts) == 2:
            parts.insert(0, "0")
        rank, micros, pk = parts
        return int(rank), _EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


def _rank(item: Item) -> int:
    """The item's place in the severity order, as the database computes it (models.severity_rank)."""
    return int(item.severity) if item.is_open else 0


@dataclass
class Page:
    rows: list[Item]
    next_key: str
    is_first: bool


def _page(items: QuerySet[Item], after: Any, key: Callable[[Item], str]) -> Page:
    """One page of ``items`` (already filtered to what follows ``after`` and ordered): a row more
    than the page is read to know whether another page follows, so no COUNT(*) is needed."""
    rows = list(items[: PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Page(rows=rows, next_key=key(rows[-1]) if has_next else "", is_first=after is None)


# --- My queue and the inbox ------------------------------------------------------------------------------


def _moderated_accounts(user: User) -> QuerySet[Account]:
    return Account.objects.kept_by(user).exclude(status=Account.Status.CLOSED).order_by("name", "pk")


def _filtered_queue(user: User, filters: dict[str, Any], now: datetime) -> QuerySet[Item]:
    items = items_to_answer(user)
    if filters.get("account"):
        items = items.filter(account_id=filters["account"])
    if filters.get("kind"):
        items = items.filter(kind=filters["kind"])
    if filters.get("flag"):
        items = items.flagged(filters["flag"])
    if filters.get("overdue"):
        items = items.filter(due_at__lte=now)
    return items


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """ "My queue": the unanswered items on every account the person owns or deputises for. Threats,
    pile-on risks and prohibited content first (KAU-THREAT, KAU-DREV, KAU-PROHIBITED), then earliest
    due first, so what is overdue comes next and is marked, with the working time left
    (KAU-RESPONSE-DEADLINE). Filtered by account, kind, flag and overdue; rows are chosen for the
    bulk actions (bulk_action)."""
    user = signed_in(request)
    now = timezone.now()
    accounts = list(_moderated_accounts(user))
    form = QueueFilterForm(request.GET, accounts=accounts)
    filters = form.values()
    after = _parse_key(request.GET.get(KEY_PARAM))
    items = _filtered_queue(user, filters, now)
    if after is not None:
        rank, due_at, pk = after
        items = items.filter(
            Q(rank__lt=rank) | Q(rank=rank, due_at__gt=due_at) | Q(rank=rank, due_at=due_at, pk__gt=pk)
        )
    page = _page(items, after, lambda item: _key(item.due_at, item.pk, _rank(item)))
    return render(
        request,
        "moderation/queue.html",
        {
            "page": page,
            "now": now,
            "working_calendar": _calendar(),
            "accounts": accounts,
            "form": form,
            "filtered": any(filters.values()),
        },
    )


@require_GET
def inbox(request: HttpRequest, account_id: int) -> HttpResponse:
    """Every item of one account, newest first, filtered by status and searched by author or text.

    The owner and the deputies, the head of the unit (and the heads above) and the social media lead
    read it; nobody else learns that the account has an inbox.
    """
    user = signed_in(request)
    now = timezone.now()
    account = account_inbox_or_404(user, account_id)
    form = InboxFilterForm(request.GET)
    status, query = form.values()
    items = Item.objects.filter(account=account)
    if status == "open":
        items = items.unanswered()
    elif status == "done":
        items = items.filter(handled_at__isnull=False)
    if query:
        items = items.filter(Q(author__icontains=query) | Q(text__icontains=query))
    # Open threats, pile-on risks and prohibited content first, then newest first
    # (item_severity_received_idx).
    items = items.with_severity()
    after = _parse_key(request.GET.get(KEY_PARAM))
    if after is not None:
        rank, received_at, pk = after
        items = items.filter(
            Q(rank__lt=rank)
            | Q(rank=rank, received_at__lt=received_at)
            | Q(rank=rank, received_at=received_at, pk__lt=pk)
        )
    page = _page(
        items.select_related("taken_by").order_by("-rank", "-received_at", "-pk"),
        after,
        lambda item: _key(item.received_at, item.pk, _rank(item)),
    )
    return render(
        request,
        "moderation/inbox.html",
        {
            "account": account,
            "form": form,
            "status": status,
            "query": query,
            "page": page,
            "now": now,
            "working_calendar": _calendar(),
            "can_moderate": may_moderate(user, account),
        },
    )


# --- Logging an item by hand -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def item_create(request: HttpRequest, account_id: int) -> HttpResponse:
    """The owner or a deputy logs an item by hand, optionally with its triage at once; its deadlines
    are fixed when it is logged (KAU-RESPONSE-DEADLINE)."""
    user = signed_in(request)
    account = account_inbox_or_404(user, account_id)
    if not may_moderate(user, account):
        raise PermissionDenied
    template = "moderation/item_form.html"
    if request.method != "POST":
        return render(request, template, {"form": ItemForm(), "account": account})
    form = ItemForm(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form, "account": account}, status=400)
    try:
        item = services.log_item(account, by=user, now=timezone.now(), **form.service_data())
    except ValidationError as exc:
        add_service_errors(form, exc)
        return render(request, template, {"form": form, "account": account}, status=400)
    messages.success(request, _("The item is logged."))
    return redirect("moderation:item", pk=item.pk)


# --- The item page ---------------------------------------------------------------------------------------

_NOT_LOGGED_YET: dict[str, Any] = {
    "status": Item.Status.OPEN,
    "classification": "",
    "prohibited": [],
    "pile_on_risk": False,
    "threat": False,
    "requires_registration": False,
    "registration": Registration.UNDECIDED,
    "answer": "",
    "close_reason": "",
    "evidence_id": None,
}


def _field_label(name: str) -> str:
    field = Item._meta.get_field("evidence" if name == "evidence_id" else name)
    return str(getattr(field, "verbose_name", name)).capitalize()


def _readable(name: str, value: Any) -> str:
    """A logged value in words: labels for choices, yes/no, the screenshot by number."""
    if value in (None, "", []):
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "status" and value in Item.Status.values:
        return str(Item.Status(value).label)
    if name == "classification" and value in Classification.values:
        return str(Classification(value).label)
    if name == "registration" and value in Registration.values:
        return str(Registration(value).label)
    if name == "prohibited" and isinstance(value, list):
        return "; ".join(
            f"{code}. {Prohibited(code).label}" if code in Prohibited.values else str(code) for code in value
        )
    if name == "evidence_id":
        return _("screenshot no. %(number)s") % {"number": value}
    return Truncator(str(value)).chars(200)


def _changes(entry: LogEntry) -> list[dict[str, str]]:
    """The fields an action changed, before → after, in words. The first entry is read against an
    empty item, so it shows the triage given when the item was logged."""
    before = entry.before or (_NOT_LOGGED_YET if entry.action == LogEntry.Action.LOGGED else {})
    after = entry.after or {}
    changes = []
    for name in SNAPSHOT_FIELDS:
        if name not in before or name not in after or before[name] == after[name]:
            continue
        changes.append(
            {
                "label": _field_label(name),
                "old": _readable(name, before[name]),
                "new": _readable(name, after[name]),
            }
        )
    return changes


def _thread(item: Item) -> dict[str, Any] | None:
    """What the item answers, when it answers something: the parent item or the account's own
    publication if Kanalvakt keeps it (two queries at most), else only that it is a reply."""
    if not item.in_reply_to:
        return None
    parent = (
        Item.objects.filter(account_id=item.account_id, platform_id=item.in_reply_to).only(
            "pk", "text", "author"
        )
    ).first()
    if parent is not None:
        return {"text": parent.text, "author": parent.author, "item": parent}
    publication = (
        Publication.objects.filter(account_id=item.account_id, platform_id=item.in_reply_to)
        .only("pk", "text", "url", "kind")
        .first()
    )
    if publication is not None:
        return {"text": publication.text, "url": publication.url, "publication": publication}
    return {"text": ""}


# The disclosures of the item page, each named for the form it holds: one whose form was refused is
# drawn open, so the error summary it holds is seen and focused (static/js/moderation.js).
_DISCLOSURE_OF = {
    "triage_form": "classify",
    "close_form": "close",
    "remove_form": "remove",
    "escalate_form": "escalate",
    "evidence_form": "screenshots",
    "registration_form": "registration",
}


def render_item(request: HttpRequest, item: Item, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The item page, with the forms given (bound, showing why they were refused) or fresh ones. The
    archive's evidence upload shows its refusals here too (archive.screenshot_views).

    It leads with the item and the answer; the other actions wait in disclosures below it, and the
    facts, the alerts and the log at the foot of the page."""
    user = signed_in(request)
    now = timezone.now()
    can_moderate = may_moderate(user, item.account)
    log = list(item.log.select_related("actor").order_by("at", "pk"))
    context: dict[str, Any] = {
        "item": item,
        "now": now,
        "working_calendar": _calendar(),
        "can_moderate": can_moderate,
        "can_finish": can_moderate and item.is_open,
        "can_read_inbox": may_read_account_items(user, item.account),
        "thread": _thread(item),
        "log": [(entry, _changes(entry)) for entry in log],
        "alerts": list(
            item.alerts.select_related("created_by", "acknowledged_by").order_by("created_at", "pk")
        ),
        "open_disclosures": {
            _DISCLOSURE_OF[name] for name, form in forms.items() if name in _DISCLOSURE_OF and form.errors
        },
    }
    # What the apps above add: a connector's record of what was posted to the platform.
    context["item_sections"] = item_sections(user, item)
    if can_moderate:
        saved = replies_for_account(item.account) if item.is_open else []
        context.update(
            answer_destination=answer_destination(item),
            triage_form=forms.get("triage_form") or TriageForm.for_item(item),
            answer_form=forms.get("answer_form") or AnswerForm(),
            reply_form=forms.get("reply_form") or ChooseReplyForm(replies=saved),
            saved_replies=saved,
            close_form=forms.get("close_form") or CloseForm(),
            evidence_form=forms.get("evidence_form"),
            remove_form=forms.get("remove_form") or RemoveForm(),
            escalate_form=forms.get("escalate_form") or EscalateForm(),
            registration_form=forms.get("registration_form") or RegistrationForm.for_item(item),
        )
    return render(request, "moderation/item_detail.html", context, status=status)


@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One item: what was written, its deadlines and time left, its triage and state, the evidence,
    the alerts sent and the full moderation log (KAU-PUBLIC-RECORD). Forms only for moderators."""
    return render_item(request, item_or_404(signed_in(request), pk))


def _acting_on(request: HttpRequest, pk: int) -> tuple[User, Item]:
    user = signed_in(request)
    return user, item_to_moderate(user, pk)


def _refused(request: HttpRequest, item: Item, name: str, form: Any, exc: ValidationError) -> HttpResponse:
    if isinstance(exc, services.ItemNotOpen):
        for message in exc.messages:
            messages.error(request, message)
        return render_item(request, item, status=409)
    add_service_errors(form, exc)
    return render_item(request, item, status=400, **{name: form})


def _with_error(form: Any, field: str, errors: Any) -> Any:
    """An unbound form showing an error: the fresh form the page offers, with why it must be used."""
    form.cleaned_data = {}  # add_error expects a cleaned form; an unbound one has no data to drop
    form.add_error(field, errors)
    return form


def _done(request: HttpRequest, item: Item, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("moderation:item", pk=item.pk)


def _act(
    request: HttpRequest,
    pk: int,
    form_class: type[Form],
    name: str,
    act: Callable[[User, Item, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """The steps of an action on the item page: the item the person moderates, the form (shown again
    as ``name`` with its errors, 400), one service call, and back to the item with ``done``."""
    user, item = _acting_on(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return render_item(request, item, status=400, **{name: form})
    try:
        act(user, item, form.cleaned_data)
    except ValidationError as exc:
        return _refused(request, item, name, form, exc)
    return _done(request, item, done)


@require_POST
def item_classify(request: HttpRequest, pk: int) -> HttpResponse:
    """Classify the item and set its flags; a threat (KAU-THREAT), a pile-on risk (KAU-DREV) or
    criticism (KAU-RESPONSE-CRITICISM) is routed at once by the service."""
    user, item = _acting_on(request, pk)
    form = TriageForm(request.POST)
    if not form.is_valid():
        return render_item(request, item, status=400, triage_form=form)
    try:
        services.classify_item(
            item, triage=form.triage(), by=user, now=timezone.now(), note=form.cleaned_data["note"].strip()
        )
    except ValidationError as exc:
        return _refused(request, item, "triage_form", form, exc)
    return _done(request, item, _("The classification is saved."))


def _insert_reply(request: HttpRequest, item: Item) -> HttpResponse:
    """Without JavaScript, "Insert" draws the page again with the saved reply in the answer field, to
    be edited before it is sent (KAU-RESPONSE-TONE). Nothing is saved."""
    chooser = ChooseReplyForm(request.POST, replies=replies_for_account(item.account))
    chosen = chooser.replies.get(chooser.cleaned_data["reply"]) if chooser.is_valid() else None
    if chosen is None:
        chooser.add_error("reply", _("Choose a saved reply to insert."))
        return render_item(
            request, item, status=400, reply_form=chooser, answer_form=AnswerForm(request.POST)
        )
    written = (request.POST.get("answer-answer") or "").strip()
    answer = f"{written}\n\n{chosen.text}" if written else chosen.text
    initial = {"answer": answer, "answered_at": request.POST.get("answer-answered_at", "")}
    return render_item(request, item, answer_form=AnswerForm(initial=initial), reply_form=chooser)


@require_POST
def item_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the answer given on the platform: the text, when, and by whom (KAU-RESPONSE-TONE)."""
    if "insert" in request.POST:
        _user, item = _acting_on(request, pk)
        return _insert_reply(request, item)
    return _act(
        request,
        pk,
        AnswerForm,
        "answer_form",
        lambda user, item, data: services.answer_item(
            item, answer=data["answer"], answered_at=data.get("answered_at"), by=user, now=timezone.now()
        ),
        _("The answer is recorded. The item has left the queue."),
    )


@require_POST
def item_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an item that needs no answer, with the reason."""
    return _act(
        request,
        pk,
        CloseForm,
        "close_form",
        lambda user, item, data: services.close_item(
            item, reason=data["reason"], by=user, now=timezone.now()
        ),
        _("The item is closed without an answer."),
    )


@require_POST
def item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that prohibited content was removed (KAU-PROHIBITED); refused until a category is marked
    and the evidence screenshot is kept (KAU-PROHIBITED-EVIDENCE)."""
    user, item = _acting_on(request, pk)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        return render_item(request, item, status=400, remove_form=form)
    try:
        services.remove_item(item, note=form.cleaned_data["note"], by=user, now=timezone.now())
    except services.ItemNotOpen as exc:
        return _refused(request, item, "remove_form", form, exc)
    except ValidationError as exc:
        # The refusal names a part of another form: show it there, and above the removal too.
        errors = getattr(exc, "message_dict", {})
        others: dict[str, Any] = {}
        if "evidence" in errors:
            others["evidence_form"] = _with_error(EvidenceForm(), "image", errors["evidence"])  # the uploader
        if "prohibited" in errors:
            others["triage_form"] = _with_error(TriageForm.for_item(item), "prohibited", errors["prohibited"])
        form.add_error(None, exc.messages)
        return render_item(request, item, status=400, remove_form=form, **others)
    return _done(request, item, _("The removal is recorded."))


@require_POST
def item_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the item to the head of unit, the central social media lead or the security officer, with
    the reason."""
    return _act(
        request,
        pk,
        EscalateForm,
        "escalate_form",
        lambda user, item, data: services.escalate_item(
            item, target=data["target"], note=data["note"], by=user, now=timezone.now()
        ),
        _("The item is escalated."),
    )
