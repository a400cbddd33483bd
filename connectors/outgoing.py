"""Answers and removals recorded in moderation, carried out on the platform.

Moderation records the decision first and announces it (moderation.events); the listeners here write
an ``Outgoing`` row in the same transaction when the account has a live connection of the item's
platform with a token, and a worker sends it after the commit (``send``). What the platform answered
is appended to the item's log: posted (with its id and link), refused (with its reason, and the
person who answered is told), or unknown. An unknown outcome (a time-out after the request left) is
never sent again blindly: someone checks on the platform (``check``) and only then tries again.

A removal is announced only after moderation kept the evidence screenshot (KAU-PROHIBITED-EVIDENCE);
here it hides a comment and deletes a visitor's post. Messages cannot be removed on the platform.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors import health, http, todo
from connectors.adapters import adapter_for
from connectors.meta.graph import Graph, GraphError, Refused
from connectors.models import PLATFORM_OF_ACCOUNT, Connection, Outgoing, Platform
from core.history import record
from core.models import User
from core.notifications import notify
from moderation import platform
from moderation.models import Item, LogEntry, PlatformStatus, Publication
from moderation.selectors import may_moderate

# A row left "sending" this long was cut off mid-call (a worker lost): its outcome is unknown.
STUCK_AFTER = timedelta(minutes=10)
# A queued row whose wake-up message was lost is sent by the sweep after this long.
LOST_AFTER = timedelta(minutes=2)


def live_connection(item: Item) -> Connection | None:
    """The account's live connection of the item's platform that can act (it has a token)."""
    platform = PLATFORM_OF_ACCOUNT.get(item.account.platform)
    if platform is None:
        return None
    connection = Connection.objects.filter(
        account_id=item.account_id, platform=platform, disconnected_at__isnull=True
    ).first()
    if connection is None or not connection.has_token:
        return None
    return connection


def answer_destination(item: Item) -> str | None:
    """Where an answer to ``item`` goes (shown above the answer form), or None when it is only recorded."""
    connection = live_connection(item) if item.platform_id else None
    if connection is None:
        return None
    adapter = adapter_for(connection.platform)
    if adapter is not None:
        return str(adapter.answer_destination(item))
    platform = Platform(connection.platform).label
    if item.kind == Item.Kind.MESSAGE:
        return _(
            "The answer is sent to %(platform)s as a message to its writer, within the platform's "
            "24-hour reply window."
        ) % {"platform": platform}
    if item.kind == Item.Kind.POST:
        return _("The answer is posted to %(platform)s as a comment on the post.") % {"platform": platform}
    return _("The answer is posted to %(platform)s as a reply to the comment.") % {"platform": platform}


# --- Listeners on moderation's events (in moderation's transaction) ------------------------------------


def on_answer_recorded(*, item: Item, by: User, now: datetime) -> Outgoing | None:
    """moderation.events.answer_recorded: the answer goes out to the platform (KAU-RESPONSE-DEADLINE)."""
    connection = live_connection(item)
    if connection is None or not item.platform_id:
        return None
    outgoing = Outgoing(
        connection=connection,
        item=item,
        action=Outgoing.Action.REPLY,
        text=item.answer,
        requested_by=by,
        requested_at=now,
    )
    if item.kind == Item.Kind.MESSAGE and not item.author_platform_id:
        outgoing.status = Outgoing.Status.NOT_POSSIBLE
        outgoing.reason = _(
            "The message's writer is not known on the platform, so the answer cannot be sent."
        )
    return _create(outgoing, now=now)


def on_removal_recorded(*, item: Item, by: User, now: datetime) -> Outgoing | None:
    """moderation.events.removal_recorded: hide the comment or delete the visitor's post on the
    platform. Moderation announces it only after the evidence is kept (KAU-PROHIBITED-EVIDENCE)."""
    connection = live_connection(item)
    if connection is None or not item.platform_id:
        return None
    if item.evidence_id is None:  # moderation refuses this already; never remove without evidence
        raise ValidationError(
            _("Keep a screenshot of the item before it is removed (KAU-PROHIBITED-EVIDENCE).")
        )
    outgoing = Outgoing(connection=connection, item=item, requested_by=by, requested_at=now, text="")
    adapter = adapter_for(connection.platform)
    if adapter is not None:
        outgoing.action, reason = adapter.removal(item)
        if reason:
            outgoing.status, outgoing.reason = Outgoing.Status.NOT_POSSIBLE, str(reason)
    elif item.kind == Item.Kind.COMMENT:
        outgoing.action = Outgoing.Action.HIDE
    elif item.kind == Item.Kind.POST and connection.platform == Platform.FACEBOOK:
        outgoing.action = Outgoing.Action.DELETE
    else:
        outgoing.action = Outgoing.Action.HIDE if item.kind != Item.Kind.MESSAGE else Outgoing.Action.DELETE
        outgoing.status = Outgoing.Status.NOT_POSSIBLE
        outgoing.reason = (
            _("Messages cannot be removed on the platform: the message stays in the inbox there.")
            if item.kind == Item.Kind.MESSAGE
            else _("The platform does not let the account remove this post: report it on the platform.")
        )
    return _create(outgoing, now=now)


def _create(outgoing: Outgoing, *, now: datetime) -> Outgoing:
    if outgoing.status == Outgoing.Status.NOT_POSSIBLE:
        outgoing.finished_at = now
    record(outgoing, by=outgoing.requested_by, reason="requested")
    outgoing.save()
    if outgoing.status == Outgoing.Status.NOT_POSSIBLE:
        platform.record_platform_outcome(
            outgoing.item, action=LogEntry.Action.POST_FAILED, note=outgoing.reason, now=now
        )
    else:
        _enqueue_after_commit(outgoing.pk)
    return outgoing


def _enqueue_after_commit(outgoing_id: int) -> None:
    from connectors.tasks import send_outgoing  # the task module imports this one

    send_outgoing.delay_on_commit(outgoing_id)


# --- Sending (a worker) -------------------------------------------------------------------------------


def send(outgoing_id: int, *, now: datetime) -> str | None:
    """Claim a queued row (queued → sending), call the platform, record what it answered. Returns the
    new status, or None when the row was not waiting (sent already, or by another worker)."""
    with transaction.atomic():
        outgoing = (
            Outgoing.objects.select_for_update(skip_locked=True)
            .filter(pk=outgoing_id, status=Outgoing.Status.QUEUED)
            .first()
        )
        if outgoing is None:
            return None
        outgoing.status, outgoing.claimed_at = Outgoing.Status.SENDING, now
        outgoing.attempts += 1
        record(outgoing, by=None, reason="sending")
        outgoing.save(update_fields=["status", "claimed_at", "attempts"])
    outgoing = Outgoing.objects.select_related("connection", "item", "item__account", "requested_by").get(
        pk=outgoing.pk
    )
    connection = outgoing.connection
    if not connection.is_live or not connection.has_token:
        return _failed(
            outgoing, _("The account's connection to the platform is gone or has no token."), now=now
        )
    adapter = adapter_for(connection.platform)
    try:
        if adapter is None:
            ref, url, answer = _carry_out(Graph(connection), outgoing)
        else:
            done = adapter.carry_out(connection, outgoing)
            ref, url, answer = done.ref, done.url, done.answer
            if done.session is not None:
                connection.session = done.session
                Connection.objects.filter(pk=connection.pk).update(
                    session_encrypted=connection.session_encrypted
                )
    except http.OutcomeUnknown as exc:
        return _unknown(outgoing, exc.reason, now=now)
    except GraphError as exc:
        return _failed(outgoing, exc.reason, now=now)
    return _done(outgoing, ref=ref, url=url, answer=answer, now=now)


def _carry_out(graph: Graph, outgoing: Outgoing) -> tuple[str, str, dict[str, Any]]:
    """The one call for the action (and, for a Facebook reply, a read of its link)."""
    item, connection = outgoing.item, outgoing.connection
    target = item.platform_id
    if outgoing.action == Outgoing.Action.REPLY:
        if item.kind == Item.Kind.MESSAGE:
            answer = graph.post(
                f"/{connection.external_id}/messages",
                json_body={
                    "recipient": {"id": item.author_platform_id},
                    "messaging_type": "RESPONSE",
                    "message": {"text": outgoing.text},
                },
            )
            return str(answer.get("message_id") or ""), "", answer
        if connection.platform == Platform.INSTAGRAM and item.kind == Item.Kind.COMMENT:
            answer = graph.post(f"/{target}/replies", {"message": outgoing.text})
        else:
            answer = graph.post(f"/{target}/comments", {"message": outgoing.text})
        ref = str(answer.get("id") or "")
        return ref, _link(graph, ref) if connection.platform == Platform.FACEBOOK else "", answer
    if outgoing.action == Outgoing.Action.HIDE:
        flag = "is_hidden" if connection.platform == Platform.FACEBOOK else "hide"
        answer = graph.post(f"/{target}", {flag: True})
    else:
        answer = graph.delete(f"/{target}")
    if answer.get("success") is not True:
        raise Refused(_("The platform did not confirm it."))
    return target, "", answer


def _link(graph: Graph, ref: str) -> str:
    """The reply's permalink, when the platform gives one; a failure here changes nothing."""
    if not ref:
        return ""
    try:
        url = graph.get(f"/{ref}", {"fields": "permalink_url"}).get("permalink_url")
    except (GraphError, http.CallError):
        return ""
    return url if isinstance(url, str) and url.startswith("https://") and len(url) <= 500 else ""


@transaction.atomic
def _done(
    outgoing: Outgoing,
    *,
    ref: str,
    url: str,
    answer: dict[str, Any],
    now: datetime,
    by: User | None = None,
    expect: str = Outgoing.Status.SENDING,
) -> str:
    locked = (
        Outgoing.objects.select_for_update(of=("self",))
        .select_related("item", "connection")
        .get(pk=outgoing.pk)
    )
    if locked.status != expect:
        return locked.status  # settled meanwhile (the stuck sweep, another check)
    locked.status, locked.finished_at = Outgoing.Status.DONE, now
    locked.platform_ref, locked.platform_url, locked.response, locked.reason = ref[:200], url, answer, ""
    record(locked, by=by, reason="done on the platform")
    locked.save()
    item = locked.item
    label = Outgoing.Action(locked.action).label
    platform.record_platform_outcome(
        item, action=LogEntry.Action.POSTED, note=" ".join(p for p in (f"{label}:", ref, url) if p), now=now
    )
    if locked.action == Outgoing.Action.REPLY and ref:
        # The posted reply is the university's own publication (KAU-PUBLIC-RECORD).
        platform.keep_publication(
            item.account,
            platform_id=ref,
            kind=Publication.Kind.MESSAGE if item.kind == Item.Kind.MESSAGE else Publication.Kind.REPLY,
            text=locked.text,
            published_at=now,
            url=url,
            in_reply_to=item.platform_id,
            answers=item,
        )
    elif locked.action == Outgoing.Action.HIDE:
        platform.record_platform_change(
            item, status=PlatformStatus.HIDDEN, note=_("Hidden by Kanalvakt."), now=now
        )
    elif locked.action == Outgoing.Action.DELETE:
        platform.record_platform_change(
            item, status=PlatformStatus.REMOVED, note=_("Deleted by Kanalvakt."), now=now
        )
    # A success proves the token and the page; a missing permission may be another one (messaging).
    health.mark_success(
        locked.connection, now=now, clears=(Connection.Cause.TOKEN_EXPIRED, Connection.Cause.UNPUBLISHED)
    )
    return locked.status


@transaction.atomic
def _failed(
    outgoing: Outgoing,
    reason: str,
    *,
    now: datetime,
    by: User | None = None,
    expect: str = Outgoing.Status.SENDING,
) -> str:
    locked = (
        Outgoing.objects.select_for_update(of=("self",))
        .select_related("item", "requested_by")
        .get(pk=outgoing.pk)
    )
    if locked.status != expect:
        return locked.status
    locked.status, locked.finished_at, locked.reason = Outgoing.Status.FAILED, now, reason
    record(locked, by=by, reason="refused by the platform")
    locked.save()
    platform.record_platform_outcome(locked.item, action=LogEntry.Action.POST_FAILED, note=reason, now=now)
    _tell(locked, "failed")
    return locked.status


@transaction.atomic
def _unknown(outgoing: Outgoing, reason: str, *, now: datetime) -> str:
    locked = (
        Outgoing.objects.select_for_update(of=("self",))
        .select_related("item", "requested_by")
        .get(pk=outgoing.pk)
    )
    if locked.status != Outgoing.Status.SENDING:
        return locked.status
    locked.status, locked.finished_at = Outgoing.Status.UNKNOWN, now
    locked.reason = _("%(reason)s It may or may not have been done: check on the platform.") % {
        "reason": reason
    }
    record(locked, by=None, reason="outcome unknown")
    locked.save()
    platform.record_platform_outcome(
        locked.item, action=LogEntry.Action.POST_UNKNOWN, note=locked.reason, now=now
    )
    _tell(locked, "unknown")
    return locked.status


def _tell(outgoing: Outgoing, what: str) -> None:
    """Tell the person who answered or removed, once per attempt."""
    if outgoing.requested_by is None:
        return
    todo.note_unposted(outgoing.requested_by.pk)
    item = outgoing.item
    notify(
        kind=f"answer_{what}",
        key=f"outgoing:{outgoing.pk}:{what}:{outgoing.attempts}",
        recipients=[outgoing.requested_by],
        subject=(
            gettext_lazy("Kanalvakt: not done on the platform: %(action)s on item %(item)s")
            if what == "failed"
            else gettext_lazy("Kanalvakt: check on the platform: %(action)s on item %(item)s")
        ),
        subject_params={"action": outgoing.get_action_display(), "item": item.pk},
        template=f"answer_{what}.txt",
        context={
            "outgoing": outgoing,
            "item": item,
            "action": outgoing.get_action_display(),
            "reason": outgoing.reason,
        },
        url=reverse("moderation:item", args=[item.pk]),
    )


# --- Check and try again (a person, from the item page) -----------------------------------------------


def _require_moderator(by: User, outgoing: Outgoing) -> None:
    if not may_moderate(by, outgoing.item.account):
        raise PermissionDenied


def check(outgoing: Outgoing, *, by: User, now: datetime) -> str:
    """Look on the platform whether an action of unknown outcome was done, and settle it: done, or
    failed (then it may be tried again). Raises ValidationError when it cannot be told now."""
    outgoing = Outgoing.objects.select_related("connection", "item", "item__account").get(pk=outgoing.pk)
    _require_moderator(by, outgoing)
    if outgoing.status != Outgoing.Status.UNKNOWN:
        raise ValidationError(_("Only an action whose outcome is unknown is checked."))
    adapter = adapter_for(outgoing.connection.platform)
    try:
        if adapter is None:
            found = _look(Graph(outgoing.connection), outgoing)
        else:
            found = adapter.look(outgoing.connection, outgoing)
    except (GraphError, http.CallError) as exc:
        raise ValidationError(
            _("The platform could not be asked just now: %(reason)s") % {"reason": exc.reason}
        ) from exc
    # Settled only if nobody settled it meanwhile (``expect``).
    if found is not None:
        return _done(
            outgoing,
            ref=found,
            url="",
            answer={"checked": True},
            now=now,
            by=by,
            expect=Outgoing.Status.UNKNOWN,
        )
    return _failed(
        outgoing,
        _("Checked on the platform: it was not done. Try again."),
        now=now,
        by=by,
        expect=Outgoing.Status.UNKNOWN,
    )


def _look(graph: Graph, outgoing: Outgoing) -> str | None:
    """The platform id of what the action made, when it is there; None when it is not."""
    item, connection = outgoing.item, outgoing.connection
    own = connection.external_id
    if outgoing.action == Outgoing.Action.REPLY:
        if item.kind == Item.Kind.MESSAGE:
            pages = graph.pages(
                f"/{own}/conversations",
                {
                    "user_id": item.author_platform_id,
                    "fields": "messages.limit(25){id,message,from}",
                    **({"platform": "instagram"} if connection.platform == Platform.INSTAGRAM else {}),
                },
            )
            for page in pages:
                for conversation in page:
                    messages = conversation.get("messages")
                    rows = messages.get("data", []) if isinstance(messages, dict) else []
                    for row in rows if isinstance(rows, list) else []:
                        if _by(row, own) and row.get("message") == outgoing.text:
                            return str(row.get("id") or "")
            return None
        edge = (
            "replies"
            if connection.platform == Platform.INSTAGRAM and item.kind == Item.Kind.COMMENT
            else "comments"
        )
        text_field = "text" if connection.platform == Platform.INSTAGRAM else "message"
        for page in graph.pages(f"/{item.platform_id}/{edge}", {"fields": f"id,{text_field},from"}):
            for row in page:
                if _by(row, own) and row.get(text_field) == outgoing.text:
                    return str(row.get("id") or "")
        return None
    if outgoing.action == Outgoing.Action.HIDE:
        flag = "is_hidden" if connection.platform == Platform.FACEBOOK else "hidden"
        answer = graph.get(f"/{item.platform_id}", {"fields": f"id,{flag}"})
        return item.platform_id if answer.get(flag) is True else None
    try:
        graph.get(f"/{item.platform_id}", {"fields": "id"})
    except Refused as exc:
        if exc.code == 100:  # the object does not exist any more: it was deleted
            return item.platform_id
        raise
    return None


def _by(row: dict[str, Any], own: str) -> bool:
    author = row.get("from")
    return isinstance(author, dict) and str(author.get("id") or "") == own


@transaction.atomic
def retry(outgoing: Outgoing, *, by: User, now: datetime) -> Outgoing:
    """Send a refused action again (one whose outcome was unknown is checked first, never resent
    blindly). Only the item's moderators."""
    locked = (
        Outgoing.objects.select_for_update(of=("self",))
        .select_related("item", "item__account")
        .get(pk=outgoing.pk)
    )
    _require_moderator(by, locked)
    if locked.status != Outgoing.Status.FAILED:
        raise ValidationError(_("Only an action the platform refused is tried again."))
    if not locked.connection.is_live or not locked.connection.has_token:
        raise ValidationError(_("The account's connection to the platform is gone or has no token."))
    locked.status, locked.reason, locked.finished_at, locked.claimed_at = (
        Outgoing.Status.QUEUED,
        "",
        None,
        None,
    )
    record(locked, by=by, reason="tried again")
    locked.save()
    _enqueue_after_commit(locked.pk)
    return locked


# --- The safety net (beat) ----------------------------------------------------------------------------


def sweep_outgoing(*, now: datetime) -> tuple[int, int]:
    """Rows cut off while sending become unknown (never resent blindly); queued rows whose wake-up
    was lost are enqueued again. Returns (made unknown, enqueued)."""
    unknown = 0
    with transaction.atomic():
        stuck = list(
            Outgoing.objects.select_for_update(skip_locked=True).filter(
                status=Outgoing.Status.SENDING, claimed_at__lt=now - STUCK_AFTER
            )[:100]
        )
    for outgoing in stuck:
        _unknown(outgoing, _("The sending was cut off."), now=now)
        unknown += 1
    waiting = list(
        Outgoing.objects.filter(status=Outgoing.Status.QUEUED, requested_at__lt=now - LOST_AFTER)
        .order_by("requested_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in waiting:
        _enqueue_after_commit(pk)
    return unknown, len(waiting)
