"""Single sign-on through a SAML 2.0 identity provider, and break-glass passwords (core.sso).

The identity provider is a real one, in the test process: pysaml2's ``saml2.server.Server`` with a
key and a self-signed certificate made for the test. The two sides know each other only by
metadata written to a temporary folder: Kanalvakt's comes from its own metadata page. Every test
drives the real flow through the test client: Kanalvakt's sign-in page redirects with an
AuthnRequest, the identity provider reads it and signs a response, the browser posts it back.
"""

from __future__ import annotations

import base64
import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import saml2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from django.urls import reverse
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AUTHN_PASSWORD_PROTECTED, NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT
from saml2.server import Server

from core.models import User
from tests.conftest import Cast

# xmlsec1 (Debian's xmlsec1) verifies and makes the signatures; CI installs it (.ci/run).
pytestmark = pytest.mark.django_db

IDP = "https://idp.example.se/idp/shibboleth"
OTHER_IDP = "https://idp.other-university.example/idp/shibboleth"
SP = "http://testserver/saml2/metadata/"


def _key_pair(folder: Path, name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    folder = tmp_path_factory.mktemp("saml-keys")
    return {name: _key_pair(folder, name) for name in ("sp", "idp", "other_idp")}


def _idp_config(entity_id: str, key_pair: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "entityid": entity_id,
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": key_pair[0],
        "cert_file": key_pair[1],
        "service": {
            "idp": {
                "endpoints": {
                    "single_sign_on_service": [(f"{entity_id}/SSO/Redirect", saml2.BINDING_HTTP_REDIRECT)]
                },
                "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    }
                },
            }
        },
        **extra,
    }


def _idp_metadata(entity_id: str, key_pair: tuple[str, str]) -> str:
    config = IdPConfig()
    config.load(_idp_config(entity_id, key_pair))
    return str(entity_descriptor(config))


@dataclass
class Federation:
    """The identity provider, Kanalvakt configured to trust it, and the way between them."""

    folder: Path
    keys: dict[str, tuple[str, str]]

    def idp(self, *, lifetime_minutes: int = 5, entity_id: str = IDP, key: str = "idp") -> Server:
        config = _idp_config(
            entity_id, self.keys[key], metadata={"local": [str(self.folder / "sp-metadata.xml")]}
        )
        config["service"]["idp"]["policy"]["default"]["lifetime"] = {"minutes": lifetime_minutes}
        return Server(config=IdPConfig().load(config))

    def start(self, client: Client, next_url: str = "/konton/") -> tuple[str, str]:
        """Kanalvakt's sign-in: the AuthnRequest and RelayState the browser carries to the provider."""
        response = client.get(reverse("sso_login"), {"next": next_url})
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == f"{IDP}/SSO/Redirect"
        query = parse_qs(location.query)
        return query["SAMLRequest"][0], query["RelayState"][0]

    def answer(
        self,
        saml_request: str,
        identity: dict[str, list[str]],
        *,
        idp: Server | None = None,
        sign_response: bool = True,
        sign_assertion: bool = False,
        encrypt_assertion: bool = False,
    ) -> str:
        """The provider reads the request and signs a response to it, as XML."""
        # The configured provider reads the request; the one that answers may be another (a rogue
        # member of the federation that learnt the request's ID).
        reader = self.idp()
        idp = idp or reader
        request = reader.parse_authn_request(saml_request, saml2.BINDING_HTTP_REDIRECT)
        args = reader.response_args(request.message)
        response = idp.create_authn_response(
            identity,
            userid=identity.get("eduPersonPrincipalName", ["someone"])[0],
            authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": idp.config.entityid},
            sign_response=sign_response,
            sign_assertion=sign_assertion,
            encrypt_assertion=encrypt_assertion,
            **args,
        )
        return str(response)

    @staticmethod
    def post(client: Client, response_xml: str, relay_state: str) -> Any:
        data = {"SAMLResponse": base64.b64encode(response_xml.encode()).decode(), "RelayState": relay_state}
        return client.post(reverse("sso_acs"), data)

    def sign_in(self, client: Client, identity: dict[str, list[str]], **options: Any) -> Any:
        saml_request, relay_state = self.start(client)
        return self.post(client, self.answer(saml_request, identity, **options), relay_state)


def _turn_sso_on(settings: Any) -> None:
    # What config/settings.py does for KANALVAKT_SSO=saml (test_settings_turn_sso_on_from_the_environment).
    settings.KANALVAKT_SSO = "saml"
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
        "djangosaml2.middleware.SamlSessionMiddleware",
    )
    settings.MIDDLEWARE = middleware
    backends = list(settings.AUTHENTICATION_BACKENDS)
    at = backends.index("django.contrib.auth.backends.ModelBackend")
    backends[at : at + 1] = ["core.sso.BreakGlassModelBackend", "core.sso.SamlBackend"]
    settings.AUTHENTICATION_BACKENDS = backends


@pytest.fixture
def federation(settings: Any, tmp_path: Path, keys: dict[str, tuple[str, str]]) -> Federation:
    metadata = tmp_path / "idp-metadata"
    metadata.mkdir()
    (metadata / "idp.xml").write_text(_idp_metadata(IDP, keys["idp"]))
    _turn_sso_on(settings)
    settings.KANALVAKT_BASE_URL = "http://testserver"
    settings.SAML_IDP_ENTITY_ID = IDP
    settings.SAML_IDP_METADATA_FILE = str(metadata)  # a folder: every file in it is read
    settings.SAML_SP_ENTITY_ID = SP
    settings.SAML_SP_KEY_FILE, settings.SAML_SP_CERT_FILE = keys["sp"]
    # Kanalvakt's metadata, from its own page, is what the identity provider knows it by.
    response = Client().get(reverse("sso_metadata"))
    assert response.status_code == 200
    (tmp_path / "sp-metadata.xml").write_bytes(response.content)
    return Federation(folder=tmp_path, keys=keys)


def _identity(eppn: str, mail: str, given: str = "Anna", surname: str = "Andersson") -> dict[str, list[str]]:
    return {"eduPersonPrincipalName": [eppn], "mail": [mail], "givenName": [given], "sn": [surname]}


def _signed_in_as(client: Client) -> Any:
    response = client.get(reverse("core:home"))
    return response.wsgi_request.user if response.status_code == 200 else None


# --- Off by default -----------------------------------------------------------------------------------


def test_without_configuration_sso_is_off_and_passwords_work_as_before(client: Client, cast: Cast) -> None:
    for name in ("sso_login", "sso_acs", "sso_metadata"):
        assert client.get(reverse(name)).status_code == 404
    page = client.get(reverse("login"))
    assert b"data-sso-login" not in page.content
    response = client.post(reverse("login"), {"username": "outsider", "password": "pw-outsider-0123"})
    assert response.status_code == 302
    assert _signed_in_as(client) == cast["outsider"]


# --- The flow -------------------------------------------------------------------------------------------


def test_metadata_names_kanalvakt_and_its_assertion_consumer_service(federation: Federation) -> None:
    content = (federation.folder / "sp-metadata.xml").read_text()
    assert f'entityID="{SP}"' in content
    assert 'Location="http://testserver/saml2/acs/"' in content
    assert "urn:oid:1.3.6.1.4.1.5923.1.1.1.6" in content  # eduPersonPrincipalName is requested
    assert "X509Certificate" in content


def test_a_signed_response_signs_in_the_person_with_that_eppn_and_goes_to_next(
    federation: Federation, client: Client, cast: Cast
) -> None:
    anna = User.objects.create_user(username="anna@kau.se", email="anna.a@kau.se")
    page = client.get(reverse("login")).content.decode()
    # The page leads with the university account; the password form comes after it.
    assert 0 < page.index("data-sso-login") < page.index('name="password"')

    response = federation.sign_in(client, _identity("anna@kau.se", "anna.a@kau.se"))

    assert response.status_code == 302
    assert response["Location"] == "/konton/"
    assert _signed_in_as(client) == anna
    anna.refresh_from_db()
    assert anna.last_login is not None
    assert User.objects.count() == len(cast.people) + 1  # nobody was created


def test_a_person_without_that_eppn_is_matched_by_their_address(
    federation: Federation, client: Client, cast: Cast
) -> None:
    response = federation.sign_in(client, _identity("comm123@kau.se", "Communicator@Example.se"))
    assert response.status_code == 302
    assert _signed_in_as(client) == cast["communicator"]
    cast["communicator"].refresh_from_db()
    assert cast["communicator"].username == "communicator"  # the record is not rewritten


def test_an_encrypted_assertion_is_read_with_kanalvakts_key(
    federation: Federation, client: Client, cast: Cast
) -> None:
    response = federation.sign_in(
        client, _identity("x@kau.se", "outsider@example.se"), sign_assertion=True, encrypt_assertion=True
    )
    assert response.status_code == 302
    assert _signed_in_as(client) == cast["outsider"]


def test_an_unknown_person_is_refused_with_a_page_that_says_why(
    federation: Federation, client: Client, cast: Cast
) -> None:
    people = User.objects.count()
    response = federation.sign_in(client, _identity("stranger@kau.se", "stranger@kau.se"))
    assert response.status_code == 403
    assert response.context["reason"] == "unknown"
    assert "stranger@kau.se" in response.content.decode()
    assert User.objects.count() == people
    assert _signed_in_as(client) is None


def test_an_address_shared_by_two_people_matches_neither(
    federation: Federation, client: Client, cast: Cast
) -> None:
    User.objects.create_user(username="twin", email="communicator@example.se")
    response = federation.sign_in(client, _identity("nobody@kau.se", "communicator@example.se"))
    assert response.status_code == 403
    assert response.context["reason"] == "ambiguous"
    assert _signed_in_as(client) is None


def test_a_deactivated_person_is_refused(federation: Federation, client: Client, cast: Cast) -> None:
    User.objects.create_user(username="gone@kau.se", email="gone@kau.se", is_active=False)
    response = federation.sign_in(client, _identity("gone@kau.se", "gone@kau.se"))
    assert response.status_code == 403
    assert response.context["reason"] == "unknown"
    assert _signed_in_as(client) is None


def test_with_creation_allowed_an_unknown_person_is_created_without_any_role(
    federation: Federation, client: Client, cast: Cast, settings: Any
) -> None:
    settings.KANALVAKT_SSO_CREATE_USERS = True
    response = federation.sign_in(client, _identity("new@kau.se", "new@kau.se", "Nils", "Nilsson"))
    assert response.status_code == 302
    created = User.objects.get(username="new@kau.se")
    assert (created.email, created.first_name, created.last_name) == ("new@kau.se", "Nils", "Nilsson")
    assert not created.groups.exists()
    assert not created.has_usable_password()
    assert not created.is_staff
    assert not created.is_superuser
    assert not created.break_glass
    assert created.history.filter(history_type="+").get().history_change_reason == "Created at single sign-on"
    assert _signed_in_as(client) == created


# --- Refused responses ----------------------------------------------------------------------------------


def test_a_tampered_response_is_refused(federation: Federation, client: Client, cast: Cast) -> None:
    """The signature covers the attributes: naming someone else after signing breaks it."""
    User.objects.create_user(username="anna@kau.se", email="anna@kau.se")
    saml_request, relay_state = federation.start(client)
    signed = federation.answer(saml_request, _identity("anna@kau.se", "anna@kau.se"))
    tampered = signed.replace("anna@kau.se", "communicator@example.se")
    assert tampered != signed

    response = federation.post(client, tampered, relay_state)

    assert response.status_code == 403
    assert response.context["reason"] == "invalid"
    assert _signed_in_as(client) is None
    # The untouched response to the same request still works: the refusal was the tampering.
    assert federation.post(client, signed, relay_state).status_code == 302


def test_an_unsigned_response_is_refused(federation: Federation, client: Client, cast: Cast) -> None:
    saml_request, relay_state = federation.start(client)
    unsigned = federation.answer(
        saml_request, _identity("x@kau.se", "outsider@example.se"), sign_response=False, sign_assertion=False
    )
    response = federation.post(client, unsigned, relay_state)
    assert response.status_code == 403
    assert response.context["reason"] == "invalid"
    assert _signed_in_as(client) is None


def test_an_expired_response_is_refused(federation: Federation, client: Client, cast: Cast) -> None:
    expired_idp = federation.idp(lifetime_minutes=-10)
    response = federation.sign_in(client, _identity("x@kau.se", "outsider@example.se"), idp=expired_idp)
    assert response.status_code == 403
    assert response.context["reason"] == "invalid"
    assert _signed_in_as(client) is None


def test_a_replayed_response_is_refused(federation: Federation, client: Client, cast: Cast) -> None:
    saml_request, relay_state = federation.start(client)
    answer = federation.answer(saml_request, _identity("x@kau.se", "outsider@example.se"))
    assert federation.post(client, answer, relay_state).status_code == 302
    client.logout()

    # Again in the same browser, and in another one: the request it answered is spent.
    again = federation.post(client, answer, relay_state)
    elsewhere_client = Client()
    elsewhere = federation.post(elsewhere_client, answer, relay_state)

    for response in (again, elsewhere):
        assert response.status_code == 403
        assert response.context["reason"] == "invalid"
    assert _signed_in_as(client) is None
    assert _signed_in_as(elsewhere_client) is None


def test_another_identity_provider_of_the_federation_is_not_believed(
    federation: Federation, client: Client, cast: Cast
) -> None:
    """Federation metadata lists every member; only the configured provider speaks for staff."""
    (federation.folder / "idp-metadata" / "other.xml").write_text(
        _idp_metadata(OTHER_IDP, federation.keys["other_idp"])
    )
    other = federation.idp(entity_id=OTHER_IDP, key="other_idp")
    response = federation.sign_in(client, _identity("communicator", "communicator@example.se"), idp=other)
    assert response.status_code == 403
    assert response.context["reason"] == "not_authorized"
    assert _signed_in_as(client) is None


# --- Break-glass passwords ------------------------------------------------------------------------------


def test_with_sso_on_a_password_signs_in_only_a_break_glass_person_and_is_logged(
    federation: Federation, client: Client, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    refused = client.post(reverse("login"), {"username": "communicator", "password": "pw-communicator-0123"})
    assert refused.status_code == 200
    assert [error.code for error in refused.context["form"].non_field_errors().as_data()] == ["sso_required"]
    assert _signed_in_as(client) is None

    wrong = client.post(reverse("login"), {"username": "communicator", "password": "wrong-password-0"})
    assert "sso_required" not in [error.code for error in wrong.context["form"].non_field_errors().as_data()]

    cast["staff"].break_glass = True
    cast["staff"].save()
    with caplog.at_level(logging.WARNING, logger="core.sso"):
        allowed = client.post(reverse("login"), {"username": "staff", "password": "pw-staff-0123"})
    assert allowed.status_code == 302
    assert _signed_in_as(client) == cast["staff"]
    assert [
        r.getMessage() for r in caplog.records if r.name == "core.sso" and r.levelno >= logging.WARNING
    ] == ["Break-glass password sign-in by staff from 127.0.0.1"]


def test_with_sso_on_the_admin_refuses_a_superuser_password_without_the_flag(
    federation: Federation, client: Client, cast: Cast
) -> None:
    User.objects.create_superuser("root", "root@example.se", "pw-root-0123")
    response = client.post(
        reverse("admin:login"), {"username": "root", "password": "pw-root-0123", "next": "/admin/"}
    )
    assert response.status_code == 200
    assert _signed_in_as(client) is None


# --- Configuration --------------------------------------------------------------------------------------


def test_settings_turn_sso_on_from_the_environment(tmp_path: Path, keys: dict[str, tuple[str, str]]) -> None:
    from tests.core.test_settings import run_python

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.MIDDLEWARE.index('djangosaml2.middleware.SamlSessionMiddleware') - "
        "s.MIDDLEWARE.index('django.contrib.sessions.middleware.SessionMiddleware')); "
        "print('django.contrib.auth.backends.ModelBackend' in s.AUTHENTICATION_BACKENDS); "
        "print(s.AUTHENTICATION_BACKENDS.index('core.sso.SamlBackend') - "
        "s.AUTHENTICATION_BACKENDS.index('core.sso.BreakGlassModelBackend')); "
        "print(s.SAML_ATTRIBUTES['uid'], s.KANALVAKT_SSO_CREATE_USERS)"
    )
    env = {
        "KANALVAKT_SSO": "saml",
        "SAML_IDP_ENTITY_ID": IDP,
        "SAML_IDP_METADATA_FILE": str(tmp_path),
        "SAML_SP_KEY_FILE": keys["sp"][0],
        "SAML_SP_CERT_FILE": keys["sp"][1],
    }
    result = run_python(code, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "False", "1", "eduPersonPrincipalName", "False"]

    incomplete = run_python("import django; django.setup()", {**env, "SAML_SP_KEY_FILE": ""}, tmp_path)
    assert incomplete.returncode != 0
    assert "SAML_SP_KEY_FILE" in incomplete.stderr


def test_refused_sso_sign_ins_do_not_lock_out_the_next_person_from_the_same_address(
    federation: Federation, client: Client, cast: Cast, settings: Any
) -> None:
    """The password lockout counts user names; a refused SAML response has none to count."""
    settings.AXES_FAILURE_LIMIT = 2
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        stranger = _identity(f"stranger{attempt}@kau.se", f"stranger{attempt}@kau.se")
        assert federation.sign_in(client, stranger).status_code == 403
    response = federation.sign_in(client, _identity("x@kau.se", "outsider@example.se"))
    assert response.status_code == 302
    assert _signed_in_as(client) == cast["outsider"]
