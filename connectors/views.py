"""The connection pages: an account's connection (connect by Facebook Login or a pasted token, its
health, disconnect) and the social media lead's overview of every connection.

Deny by default: an account the person may not see is 404 (the registry's gate); seeing it, only the
owner, a deputy or the communications department may change its connection (403 otherwise); the
overview is the social media lead's (403 for everyone else).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Account
from connectors import selectors, services
from connectors.adapters import adapter_for
from connectors.forms import ChooseForm, ConnectForm, TokenForm
from connectors.meta import oauth
from connectors.models import META_PLATFORMS, Connection
from core.forms import add_service_errors
from core.http import signed_in
from core.secrets import SecretUnreadable, decrypt, encrypt

PAGE = "connectors/connection_page.html"
WEBHOOK_PATH = "/connectors/meta/webhook/"
CHOICE_KEY = "connectors_oauth_choice"


def _account(request: HttpRequest, account_id: int) -> Account:
    account = selectors.account_for(signed_in(request), account_id)
    if account is None:
        raise Http404
    return account


def _managed(request: HttpRequest, account_id: int) -> Account:
    """The account, when the person may change its connection: 404 unseen, 403 seen but not theirs."""
    account = _account(request, account_id)
    if not services.may_connect(signed_in(request), account):
        raise PermissionDenied
    return account


def _live(connections: list[Connection]) -> Connection | None:
    return next((connection for connection in connections if connection.is_live), None)


def _page(request: HttpRequest, account: Account, *, status: int = 200, **forms: Any) -> HttpResponse:
    user = signed_in(request)
    connections = selectors.connections_of(account)
    live = _live(connections)
    may = services.may_connect(user, account) and account.status != Account.Status.CLOSED
    platform = services.PLATFORM_OF_ACCOUNT.get(account.platform, "")
    adapter = adapter_for(platform)
    context = {
        "account": account,
        "connections": connections,
        "live": live,
        "platform": platform,
        "adapter": adapter,
        "meta": platform in META_PLATFORMS,
        "connectable": services.connectable(account),
        "can_change": may and services.connectable(account),
        "login_enabled": oauth.login_enabled(),
        "connect_form": forms.get("connect_form") or ConnectForm(adapter=adapter),
        "token_form": forms.get("token_form") or TokenForm(adapter=adapter),
        "webhook_url": settings.KANALVAKT_BASE_URL + WEBHOOK_PATH,
        "permissions": oauth.PERMISSIONS,
        "now": timezone.now(),
    }
    return render(request, PAGE, context, status=status)


@require_GET
def account_connection(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account's connection: its health, how to connect it, and earlier connections."""
    return _page(request, _account(request, account_id))


@never_cache
@require_POST
def connect(request: HttpRequest, account_id: int) -> HttpResponse:
    """Connect by pasting a token (or none: webhooks only); the token is checked with Meta first."""
    account = _managed(request, account_id)
    platform = services.PLATFORM_OF_ACCOUNT.get(account.platform, "")
    form = ConnectForm(request.POST, adapter=adapter_for(platform))
    if form.is_valid():
        try:
            services.connect(
                account,
                platform=platform,
                external_id=form.cleaned_data["external_id"],
                token=form.cleaned_data["token"],
                server_url=form.cleaned_data.get("server_url") or "",
                by=signed_in(request),
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The account is connected."))
            return redirect("connectors:account", account.pk)
    return _page(request, account, status=400, connect_form=form)


@never_cache
@require_POST
def replace_token(request: HttpRequest, account_id: int) -> HttpResponse:
    """Replace the live connection's token with a new one Meta accepts."""
    account = _managed(request, account_id)
    live = _live(selectors.connections_of(account))
    if live is None:
        raise Http404
    form = TokenForm(request.POST, adapter=adapter_for(live.platform))
    if form.is_valid():
        try:
            services.set_token(
                live, token=form.cleaned_data["token"], by=signed_in(request), now=timezone.now()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The access token is replaced."))
            return redirect("connectors:account", account.pk)
    return _page(request, account, status=400, token_form=form)


@require_http_methods(["GET", "POST"])
def disconnect(request: HttpRequest, account_id: int) -> HttpResponse:
    """Ask first (GET), then disconnect (POST): nothing more comes in or goes out."""
    account = _managed(request, account_id)
    live = _live(selectors.connections_of(account))
    if live is None:
        raise Http404
    if request.method == "POST":
        services.disconnect(live, by=signed_in(request), now=timezone.now())
        messages.success(request, _("The account is disconnected. Its items and history are kept."))
        return redirect("connectors:account", account.pk)
    return render(request, "connectors/connection_disconnect.html", {"account": account, "live": live})


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Every connection and its health, needs-attention first (the social media lead's page)."""
    if not selectors.may_see_every_connection(signed_in(request)):
        raise PermissionDenied
    now = timezone.now()
    return render(
        request,
        "connectors/connection_overview.html",
        {"overview": selectors.overview(now), "outcomes": _outcomes(), "now": now},
    )


def _outcomes() -> list[tuple[str, str]]:
    from connectors.models import Event

    return [(value, str(label)) for value, label in Event.Outcome.choices]


# --- Facebook Login for Business ------------------------------------------------------------------


@require_POST
def oauth_start(request: HttpRequest, account_id: int) -> HttpResponse:
    """Send the person to Meta's login dialog, with a signed state kept in the session."""
    account = _managed(request, account_id)
    if not oauth.login_enabled() or not services.connectable(account):
        raise Http404
    return redirect(oauth.start(request.session, account_id=account.pk))


def _login_failed(request: HttpRequest, reason: str, account: Account | None = None) -> HttpResponse:
    return render(
        request, "connectors/connection_login_failed.html", {"reason": reason, "account": account}, status=400
    )


@never_cache
@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Meta sends the person back here: the state is checked and used up, the code exchanged for a
    long-lived token, and the page that is the account connected with its page token (the user's own
    token is not kept). When several pages could be the account, or none is by name, the person chooses."""
    if not oauth.login_enabled():
        raise Http404
    account_id = oauth.take_state(request.session, request.GET.get("state", ""))
    if account_id is None:
        return _login_failed(
            request, _("This sign-in with Facebook was not started here, was already used, or is too old.")
        )
    account = _managed(request, account_id)
    if request.GET.get("error") or not request.GET.get("code"):
        return _login_failed(
            request, _("Facebook Login was cancelled or refused; nothing was connected."), account
        )
    try:
        user_token = oauth.exchange_code(request.GET["code"][:2000])
        pages = oauth.managed_pages(user_token)
    except oauth.MetaRefused as exc:
        return _login_failed(request, exc.reason, account)
    matching = selectors.matching_pages(account, pages)
    if len(matching) == 1:
        return _connect_page(request, account, matching[0])
    candidates = matching or selectors.candidate_pages(account, pages)
    if not candidates:
        return _login_failed(
            request,
            _(
                "The Facebook user manages no page that can be connected to this account, or granted "
                "Kanalvakt none."
            ),
            account,
        )
    # The choice comes back in another request: the user token waits encrypted in the session, for
    # this choice only, and the pages are fetched again with it (page tokens are never kept there).
    request.session[CHOICE_KEY] = {"account": account.pk, "token": encrypt(user_token)}
    return _choose(request, account, candidates, matched=bool(matching))


def _choices(account: Account, pages: list[oauth.ManagedPage]) -> list[tuple[str, str]]:
    instagram = services.PLATFORM_OF_ACCOUNT.get(account.platform) == "instagram"
    return [
        (
            selectors.identity_of(account, page),
            f"@{page.instagram_username} ({page.name})" if instagram else f"{page.name} ({page.id})",
        )
        for page in pages
    ]


def _choose(
    request: HttpRequest,
    account: Account,
    pages: list[oauth.ManagedPage],
    *,
    matched: bool,
    form: ChooseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "connectors/connection_choose.html",
        {
            "account": account,
            "form": form or ChooseForm(choices=_choices(account, pages)),
            "matched": matched,
        },
        status=status,
    )


def _connect_page(request: HttpRequest, account: Account, page: oauth.ManagedPage) -> HttpResponse:
    platform = services.PLATFORM_OF_ACCOUNT[account.platform]
    try:
        services.connect(
            account,
            platform=platform,
            external_id=selectors.identity_of(account, page),
            token=page.access_token,
            by=signed_in(request),
            now=timezone.now(),
            name_on_platform=page.instagram_username if platform == "instagram" else page.name,
        )
    except ValidationError as exc:
        return _login_failed(request, " ".join(exc.messages), account)
    messages.success(request, _("The account is connected with Facebook Login."))
    return redirect("connectors:account", account.pk)


@never_cache
@require_POST
def oauth_choose(request: HttpRequest) -> HttpResponse:
    """The person chose which managed page is the account."""
    if not oauth.login_enabled():
        raise Http404
    kept = request.session.get(CHOICE_KEY)
    if not isinstance(kept, dict):
        return _login_failed(
            request, _("This choice was already made or has expired. Sign in with Facebook again.")
        )
    account = _managed(request, int(kept["account"]))
    try:
        user_token = decrypt(str(kept["token"]))
        pages = oauth.managed_pages(user_token)
    except SecretUnreadable:
        request.session.pop(CHOICE_KEY, None)
        return _login_failed(request, _("This choice has expired. Sign in with Facebook again."), account)
    except oauth.MetaRefused as exc:
        request.session.pop(CHOICE_KEY, None)
        return _login_failed(request, exc.reason, account)
    candidates = selectors.matching_pages(account, pages) or selectors.candidate_pages(account, pages)
    form = ChooseForm(request.POST, choices=_choices(account, candidates))
    if not form.is_valid():
        return _choose(request, account, candidates, matched=False, form=form, status=400)
    request.session.pop(CHOICE_KEY, None)  # single use
    chosen = next(
        page for page in candidates if selectors.identity_of(account, page) == form.cleaned_data["page"]
    )
    return _connect_page(request, account, chosen)
