"""Single sign-on through the university's identity provider, and passwords kept for break-glass use.

Swedish universities federate through SWAMID, which is SAML 2.0; Kanalvakt is a SAML service
provider through djangosaml2 (pysaml2, which verifies signatures with the ``xmlsec1`` program).
Everything is configured by environment (``config/settings.py``, the section at the end); with
``KANALVAKT_SSO`` unset, single sign-on is off, its pages answer 404 and passwords work as before.

Decisions, so that they are written down once:

- **One identity provider.** Only responses issued by ``SAML_IDP_ENTITY_ID`` are accepted, even
  when the metadata holds a whole federation: any other SWAMID member could otherwise assert any
  name at all. Every response must answer a request this browser made (``allow_unsolicited`` off,
  the request's ID kept in the SAML session and forgotten once answered), so a response cannot be
  replayed, and it must be signed (the response or the assertion) and within its lifetime.
- **Deliberate provisioning.** A public authority decides who works in its systems. A response
  signs in the existing, active person whose user name is the eduPersonPrincipalName, or failing
  that the one active person with the e-mail address; anyone else is refused with a page that
  says why and what to do. ``KANALVAKT_SSO_CREATE_USERS`` lets unknown people in, created without
  any role. A known person's record is never rewritten from the response.
- **Break-glass passwords.** With single sign-on on, a password signs in only a person marked
  ``User.break_glass``: a named, audited flag (its changes are in the person's history), rather
  than "every superuser", which would tie the emergency door to the widest powers and open it for
  every administrator. The check is an authentication backend, so the admin's sign-in obeys it
  too, and each break-glass sign-in is logged at WARNING for the security log.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import saml2
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from djangosaml2 import views as saml_views
from djangosaml2.backends import Saml2Backend
from saml2.config import SPConfig

from core import outbound
from core.forms import LoginForm
from core.history import record
from core.sessions import client_ip

logger = logging.getLogger(__name__)

SAML = "saml"
# Why a sign-in was refused, left on the request by a backend for the page that explains it.
_REFUSAL = "kanalvakt_sso_refusal"

# The attributes of a SWAMID identity provider (their friendly names, as pysaml2 maps the URNs).
DEFAULT_ATTRIBUTES = {
    "uid": "eduPersonPrincipalName",
    "email": "mail",
    "first_name": "givenName",
    "last_name": "sn",
}


def sso_enabled() -> bool:
    """Whether single sign-on is configured (``KANALVAKT_SSO=saml``)."""
    return getattr(settings, "KANALVAKT_SSO", "") == SAML


def _attributes() -> dict[str, str]:
    return {**DEFAULT_ATTRIBUTES, **getattr(settings, "SAML_ATTRIBUTES", {})}


def attribute_mapping() -> dict[str, tuple[str, ...]]:
    """djangosaml2's mapping of SAML attributes to fields of User."""
    names = _attributes()
    return {
        names["uid"]: ("username",),
        names["email"]: ("email",),
        names["first_name"]: ("first_name",),
        names["last_name"]: ("last_name",),
    }


def saml_config_dict() -> dict[str, Any]:
    """The pysaml2 configuration of Kanalvakt as a service provider, from the settings."""
    acs_url = settings.KANALVAKT_BASE_URL + reverse("sso_acs")
    names = _attributes()
    metadata: dict[str, Any]
    if settings.SAML_IDP_METADATA_FILE:
        metadata = {"local": [settings.SAML_IDP_METADATA_FILE]}
    else:
        # Remote metadata is only trusted with the signature of the federation's signing key.
        metadata = {
            "remote": [{"url": settings.SAML_IDP_METADATA_URL, "cert": settings.SAML_IDP_METADATA_CERT_FILE}]
        }
    return {
        "entityid": settings.SAML_SP_ENTITY_ID,
        "xmlsec_binary": settings.SAML_XMLSEC_BINARY or shutil.which("xmlsec1"),
        "key_file": settings.SAML_SP_KEY_FILE,
        "cert_file": settings.SAML_SP_CERT_FILE,
        # SWAMID identity providers encrypt assertions to a service provider that publishes a key.
        "encryption_keypairs": [
            {"key_file": settings.SAML_SP_KEY_FILE, "cert_file": settings.SAML_SP_CERT_FILE}
        ],
        "metadata": metadata,
        "allow_unknown_attributes": True,
        "accepted_time_diff": settings.SAML_ACCEPTED_TIME_DIFF,
        "service": {
            "sp": {
                "name": "Kanalvakt",
                "endpoints": {"assertion_consumer_service": [(acs_url, saml2.BINDING_HTTP_POST)]},
                # Replay protection: only a response to a request this browser made is accepted.
                "allow_unsolicited": False,
                # A Shibboleth identity provider signs the response by default, others the
                # assertion: either is enough, and an unsigned response is refused.
                "want_response_signed": False,
                "want_assertions_signed": False,
                "want_assertions_or_response_signed": True,
                "authn_requests_signed": False,
                "required_attributes": [names["uid"]],
                "optional_attributes": [names["email"], names["first_name"], names["last_name"]],
            }
        },
    }


_config_cache: dict[str, Any] = {}
_config_lock = threading.Lock()


def saml_config_loader(request: HttpRequest | None = None) -> SPConfig:
    """djangosaml2's SAML_CONFIG_LOADER. Metadata is read once and kept for SAML_METADATA_CACHE_SECONDS.

    Reading it on every sign-in (djangosaml2's default) would fetch and verify remote metadata for
    each person; an identity provider's keys change rarely and are announced in advance. A local
    file is read again as soon as it changes.
    """
    config = saml_config_dict()
    # A local metadata file (or folder) that changes is read again at once.
    local = settings.SAML_IDP_METADATA_FILE
    key = repr((sorted(config.items()), Path(local).stat().st_mtime_ns if local else None))
    with _config_lock:
        cached = _config_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < settings.SAML_METADATA_CACHE_SECONDS:
            return cached[1]
        if not local:
            _check_metadata_url(settings.SAML_IDP_METADATA_URL)
        sp_config = SPConfig()
        sp_config.load(config)
        _config_cache.clear()
        _config_cache[key] = (time.monotonic(), sp_config)
        return sp_config


def _check_metadata_url(url: str) -> None:
    """The identity provider's metadata, like every address Kanalvakt fetches, must lead to a public
    address on port 80 or 443 (core.outbound); a misconfigured one stops here, with the setting named.

    pysaml2 fetches the metadata itself (requests, which follows redirects), so only the address
    configured is checked, not where its server may redirect: it is the operator's address, not one
    from outside, and its answer counts only with the federation's signature.
    """
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise ImproperlyConfigured(f"SAML_IDP_METADATA_URL: {exc.reason}") from exc
    except outbound.OutboundUnreachable:
        pass  # pysaml2 reports a server it cannot reach in its own words


def _refuse(request: HttpRequest | None, reason: str) -> None:
    if request is not None:
        setattr(request, _REFUSAL, reason)


class SamlBackend(Saml2Backend):
    """Signs in the person a verified SAML response names: matched, never provisioned by accident."""

    def is_authorized(
        self,
        attributes: dict[str, Any],
        attribute_mapping: dict[str, Any],
        idp_entityid: str,
        assertion_info: dict[str, Any],
        **kwargs: Any,
    ) -> bool:
        # Federation metadata lists every member's identity provider; only the university's speaks
        # for its staff.
        if idp_entityid != settings.SAML_IDP_ENTITY_ID:
            logger.warning(
                "SAML response from %s refused: not the configured identity provider", idp_entityid
            )
            return False
        return True

    def authenticate(
        self, request: HttpRequest | None, session_info: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        user = super().authenticate(request, session_info=session_info, **kwargs)
        if user is None and session_info is not None and not hasattr(request, _REFUSAL):
            wrong_idp = session_info.get("issuer") != settings.SAML_IDP_ENTITY_ID
            _refuse(request, "not_authorized" if wrong_idp else "missing_identity")
        return user

    def get_or_create_user(
        self,
        user_lookup_key: str,
        user_lookup_value: Any,
        create_unknown_user: bool,
        idp_entityid: str,
        attributes: dict[str, Any],
        attribute_mapping: dict[str, Any],
        request: Any,
    ) -> tuple[Any, bool]:
        user_model = get_user_model()
        names = _attributes()
        uid = str(user_lookup_value).strip()
        email = (attributes.get(names["email"]) or [""])[0].strip()
        by_uid = list(user_model.objects.filter(username__iexact=uid)[:2]) if uid else []
        if len(by_uid) > 1:
            logger.error("SAML sign-in of %s refused: more than one person has that user name", uid)
            _refuse(request, "ambiguous")
            return None, False
        user: Any = None
        if by_uid:
            user = by_uid[0]
        elif email:
            by_email = list(user_model.objects.filter(email__iexact=email, is_active=True)[:2])
            user = by_email[0] if len(by_email) == 1 else None
            if len(by_email) > 1:
                logger.error(
                    "SAML sign-in of %s refused: more than one person has the address %s", uid, email
                )
                _refuse(request, "ambiguous")
                return None, False
        if user is not None:
            if not user.is_active:
                logger.warning("SAML sign-in of %s refused: the person is deactivated", uid)
                _refuse(request, "unknown")
                return None, False
            return user, False
        if not create_unknown_user or not uid:
            logger.warning("SAML sign-in of %s (%s) refused: no such person in Kanalvakt", uid, email)
            _refuse(request, "unknown")
            return None, False
        user = user_model(
            username=uid,
            email=email,
            first_name=(attributes.get(names["first_name"]) or [""])[0][:150],
            last_name=(attributes.get(names["last_name"]) or [""])[0][:150],
        )
        user.set_unusable_password()
        logger.warning("SAML sign-in created %s without any role (KANALVAKT_SSO_CREATE_USERS)", uid)
        return user, True

    def _update_user(
        self,
        user: Any,
        attributes: dict[str, Any],
        attribute_mapping: dict[str, Any],
        force_save: bool = False,
    ) -> Any:
        # A known person's record is kept as provisioned; only a new one is saved, with its history.
        if user.pk is None:
            record(user, by=None, reason="Created at single sign-on")
            user.save()
        return user


class BreakGlassModelBackend(ModelBackend):
    """The password backend while single sign-on is on: only people marked ``break_glass`` pass."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or not sso_enabled():
            return user
        if not getattr(user, "break_glass", False):
            logger.info("Password sign-in of %s refused: single sign-on is on", user.get_username())
            _refuse(request, "password_not_allowed")
            return None
        address = client_ip(request) if request is not None else None
        logger.warning("Break-glass password sign-in by %s from %s", user.get_username(), address)
        return user


class PasswordLoginForm(LoginForm):
    """The sign-in form; with single sign-on on, it says why a correct password was not enough."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, _REFUSAL, None) == "password_not_allowed":
                raise ValidationError(
                    _(
                        "Sign in with your university account. Password sign-in is kept for "
                        "break-glass use by the few people marked for it."
                    ),
                    code="sso_required",
                ) from None
            raise


class PasswordLoginView(auth_views.LoginView):
    """Django's sign-in page, leading with single sign-on when it is on."""

    template_name = "registration/login.html"
    authentication_form = PasswordLoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = sso_enabled()
        return context


def _require_sso() -> None:
    if not sso_enabled():
        raise Http404("Single sign-on is not configured.")


class SsoLoginView(saml_views.LoginView):
    """Sends the browser to the identity provider with an AuthnRequest (HTTP-Redirect binding).

    The identity provider is always the configured one: the request's own ``idp``, ``scoping`` and
    ``idphint`` are dropped, and only ``next`` is kept (djangosaml2 checks it is on this site).
    """

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_sso()
        query = QueryDict(mutable=True)
        if "next" in request.GET:
            query["next"] = request.GET["next"]
        query["idp"] = settings.SAML_IDP_ENTITY_ID
        request.GET = query  # type: ignore[assignment]
        return super().get(request, *args, **kwargs)


# Refusals of a verified response, whose page may name the identity it carried.
_PERSON_REFUSALS = {"unknown", "ambiguous", "not_authorized", "missing_identity"}


class SsoAcsView(saml_views.AssertionConsumerServiceView):
    """The assertion consumer service: the identity provider's response is posted here."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_sso()
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().post(
            request,
            attribute_mapping=attribute_mapping(),
            # A callable, because djangosaml2 reads a plain False as "use its default", which is True.
            create_unknown_user=lambda: settings.KANALVAKT_SSO_CREATE_USERS,
        )

    def authenticate_user(
        self,
        request: HttpRequest,
        session_info: dict[str, Any],
        attribute_mapping: dict[str, Any],
        create_unknown_user: bool,
        assertion_info: dict[str, Any],
    ) -> Any:
        # The SAML backend alone, not django.contrib.auth.authenticate(): a verified response is no
        # password guess, and the password lockout (django-axes) would count each refused one
        # against "no user name" at the address, locking out everyone behind the same campus NAT.
        user = SamlBackend().authenticate(
            request,
            session_info=session_info,
            attribute_mapping=attribute_mapping,
            create_unknown_user=create_unknown_user,
            assertion_info=assertion_info,
        )
        if user is None:
            raise PermissionDenied("No user could be authenticated.")
        auth.login(request, user, backend=f"{SamlBackend.__module__}.{SamlBackend.__qualname__}")
        logger.info("Single sign-on by %s", user.get_username())
        return user

    def handle_acs_failure(
        self, request: HttpRequest, exception: Exception | None = None, status: int = 403, **kwargs: Any
    ) -> HttpResponse:
        reason = getattr(request, _REFUSAL, None) or "invalid"
        session_info = kwargs.get("session_info") or {}
        identity = ""
        if reason in _PERSON_REFUSALS:
            ava = session_info.get("ava", {})
            names = _attributes()
            identity = (ava.get(names["uid"]) or ava.get(names["email"]) or [""])[0]
        else:
            logger.warning("SAML response refused: %s", exception.__class__.__name__ if exception else "")
        return render(
            request,
            "registration/sso_error.html",
            {"reason": reason, "identity": identity},
            status=403 if reason in _PERSON_REFUSALS else max(status, 400),
        )


class SsoMetadataView(saml_views.MetadataView):
    """This service provider's metadata, for registration with SWAMID."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_sso()
        return super().get(request, *args, **kwargs)


# The three pages an identity provider or a browser on its way to sign in must reach unsigned.
sso_login = login_not_required(require_GET(SsoLoginView.as_view(config_loader_path=saml_config_loader)))
sso_acs = login_not_required(SsoAcsView.as_view(config_loader_path=saml_config_loader))
sso_metadata = login_not_required(require_GET(SsoMetadataView.as_view(config_loader_path=saml_config_loader)))
password_login = login_not_required(PasswordLoginView.as_view())
