"""The connectors' API tokens, for the social media lead: the list, issuing and revoking.

Only the social media lead opens these pages (403 for everyone else). A new token's secret is shown
once, in the answer to the POST that issued it, and never again: Kanalvakt keeps only its hash.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.models import User
from core.roles import Role, has_role
from moderation.models import ApiToken
from moderation.token_forms import IssueTokenForm
from moderation.tokens import issue_token, revoke_token

TEMPLATE = "moderation/apitoken_list.html"


def _lead(request: HttpRequest) -> User:
    """The signed-in social media lead, or 403: the lead issues and revokes connectors' tokens."""
    user = request.user
    # LoginRequiredMiddleware has already turned anonymous visitors away.
    assert isinstance(user, User)
    if not has_role(user, Role.SOCIAL_MEDIA_LEAD):
        raise PermissionDenied
    return user


def _context(form: IssueTokenForm, **extra: Any) -> dict[str, Any]:
    tokens = ApiToken.objects.select_related("created_by", "revoked_by").prefetch_related("accounts")
    return {"form": form, "tokens": tokens, **extra}


@never_cache  # the answer to issuing holds the secret: no cache may keep it
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """Every token with its scope and use; the form to issue a new one, whose secret is shown once."""
    user = _lead(request)
    if request.method != "POST":
        return render(request, TEMPLATE, _context(IssueTokenForm()))
    form = IssueTokenForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = issue_token(
                name=data["name"],
                accounts=list(data["accounts"]),
                all_accounts=data["every_account"],
                by=user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # Not a redirect: the secret exists only in this answer.
            return render(request, TEMPLATE, _context(IssueTokenForm(), issued=token, secret=secret))
    return render(request, TEMPLATE, _context(form), status=400)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a token: the connector using it is refused (401) from its next request."""
    user = _lead(request)
    token = get_object_or_404(ApiToken, pk=pk)
    if token.revoked_at is None:
        revoke_token(token, by=user, now=timezone.now())
        messages.success(request, _("The token %(token)s is revoked.") % {"token": token})
    else:
        messages.info(request, _("The token %(token)s was already revoked.") % {"token": token})
    return redirect("moderation:tokens")
