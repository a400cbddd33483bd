"""``Authorization: Bearer <token>`` for the connector API.

A missing header leaves the request anonymous (DRF's IsAuthenticated then answers 401); a header with
a wrong or revoked token is refused at once with 401. Either way the answer carries
``WWW-Authenticate: Bearer``, because this class is the first authenticator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from moderation.models import ApiToken
from moderation.tokens import authenticate

KEYWORD = "Bearer"


@dataclass(frozen=True)
class Connector:
    """Who is calling when a token is used: the connector, not a person. ``request.auth`` is its token."""

    token: ApiToken
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @property
    def pk(self) -> str:
        return f"token-{self.token.pk}"

    def __str__(self) -> str:
        return str(self.token)


class BearerTokenAuthentication(BaseAuthentication):
    """A connector's API token, issued by the social media lead (see moderation.tokens)."""

    def authenticate(self, request: Request) -> tuple[Connector, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Give the token after 'Bearer', with no spaces in it."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = authenticate(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid, or it has been revoked."))
        return Connector(token=token), token

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Names the token in the OpenAPI schema as HTTP bearer authentication."""

    target_class = "moderation.api.authentication.BearerTokenAuthentication"
    name = "connectorToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A connector's API token (kv_…)."}
