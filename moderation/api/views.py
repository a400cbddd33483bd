"""The connector API: a connector sends the posts, comments and messages of an account, and reads them
back with their deadlines (KAU-RESPONSE-DEADLINE).

Each view: the token's account (404 if there is none, 403 if the token may not write to it), the
body validated (400 naming the fields, nothing stored), one call to moderation.services.receive_item,
which is idempotent on (account, platform id): 201 when the item is new, 200 with the stored item on
a replay. The views take a token only; a signed-in browser session is not a connector.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import Account
from moderation.api.authentication import BearerTokenAuthentication
from moderation.api.parsers import BodyTooLarge, ConnectorJSONParser
from moderation.api.serializers import ItemInSerializer, ItemOutSerializer
from moderation.models import ApiToken, Item
from moderation.services import AccountClosed, receive_item
from moderation.tokens import may_write

logger = logging.getLogger(__name__)

_ERROR = inline_serializer("Error", fields={"detail": serializers.CharField()})
_COMMON_ERRORS = {
    401: OpenApiResponse(_ERROR, description="No token, or a wrong or revoked one."),
    403: OpenApiResponse(_ERROR, description="The token may not write to this account."),
    404: OpenApiResponse(_ERROR, description="No such account (or no such item on it)."),
}


class ConnectorThrottle(ScopedRateThrottle):
    """A rate per token (REST_FRAMEWORK's "connector" rate), so one busy connector cannot starve another.

    Counted in fixed windows with the cache's atomic ``incr`` in the shared cache (settings.CACHES:
    Redis, or a file cache on one machine), so that the limit holds however many processes serve the
    API. DRF's own throttle keeps a list of times and writes it back, and two processes writing at
    once would each forget the other's requests. Should the cache be down, requests are let through
    and the failure is logged: the limit guards against a runaway connector, it is not a reason to
    refuse every connector.
    """

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        # The prefix is random per token, so two databases' tokens with the same id never share a count.
        ident = f"token-{token.pk}-{token.prefix}" if isinstance(token, ApiToken) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request, view)
        if key is None or self.num_requests is None or self.duration is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        key = f"{key}:{window}"
        try:
            self.cache.add(key, 0, timeout=self.duration + 1)
            try:
                count = self.cache.incr(key)
            except ValueError:  # the key expired between add and incr: this is the window's first request
                self.cache.add(key, 1, timeout=self.duration + 1)
                count = 1
        except Exception:  # the cache is unreachable (e.g. Redis down)
            logger.warning(
                "The API rate limit could not be counted; the request is let through.", exc_info=True
            )
            return True
        return bool(count <= self.num_requests)

    def wait(self) -> float | None:
        return max(self.window_ends_at - self.now, 0.0)


class ConnectorView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ConnectorThrottle]
    throttle_scope = "connector"
    parser_classes = [ConnectorJSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE when it is first read, as a
        # SuspiciousOperation that would become an HTML 400; a connector gets a JSON 413 instead.
        if isinstance(exc, RequestDataTooBig):
            exc = BodyTooLarge()
        return super().handle_exception(exc)

    def token(self, request: Request) -> ApiToken:
        # IsAuthenticated has let only a valid token through: the only authenticator here is the token.
        assert isinstance(request.auth, ApiToken)
        return request.auth

    def account(self, request: Request, account_id: int) -> Account:
        """The account named in the path, if the token may write to it: 404 when there is no such
        account, 403 when the token's scope does not include it."""
        account = Account.objects.filter(pk=account_id).first()
        if account is None:
            raise exceptions.NotFound(_("There is no account with this id."))
        if not may_write(self.token(request), account):
            raise exceptions.PermissionDenied(_("This token may not write to this account."))
        return account


def _item_response(item: Item, status_code: int) -> Response:
    headers = {"Location": reverse("api:item", args=[item.account_id, item.pk])}
    return Response(ItemOutSerializer(item).data, status=status_code, headers=headers)


class ItemCreateView(ConnectorView):
    @extend_schema(
        operation_id="items_create",
        summary="Send an item (post, comment or direct message) to an account",
        request=ItemInSerializer,
        responses={
            201: OpenApiResponse(ItemOutSerializer, description="Created, with its deadlines."),
            200: OpenApiResponse(
                ItemOutSerializer, description="A replay: the item with this platform id, as stored."
            ),
            400: OpenApiResponse(description="Bad input: each field named with its error. Nothing stored."),
            413: OpenApiResponse(_ERROR, description="The body is larger than Kanalvakt reads."),
            **_COMMON_ERRORS,
            409: OpenApiResponse(_ERROR, description="The account is closed and takes no new items."),
        },
    )
    def post(self, request: Request, account_id: int) -> Response:
        account = self.account(request, account_id)
        now = timezone.now()
        body = ItemInSerializer(data=request.data, context={"now": now})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            item, created = receive_item(account, now=now, source=Item.Source.API, **data)
        except AccountClosed:
            # KAU-CLOSE: a closed channel takes nothing new (a replay of what it took still answers 200).
            return Response(
                {"detail": _("The account is closed and takes no new items."), "code": "account_closed"},
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            raise serializers.ValidationError(detail) from None
        return _item_response(item, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ItemDetailView(ConnectorView):
    @extend_schema(
        operation_id="items_retrieve",
        summary="Read one item of an account, with its deadlines and status",
        responses={200: ItemOutSerializer, **_COMMON_ERRORS},
    )
    def get(self, request: Request, account_id: int, item_id: int) -> Response:
        account = self.account(request, account_id)
        item = Item.objects.filter(account=account, pk=item_id).first()
        if item is None:
            raise exceptions.NotFound(_("There is no item with this id on this account."))
        return Response(ItemOutSerializer(item).data)
