"""System checks of the archive's settings: the trusted timestamps' authority and certificate."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register()
def timestamp_authority_is_complete(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """TSA_URL without TSA_CA_CERT asks for nothing: a reply that cannot be verified is not kept.
    A certificate file that cannot be read stops both the requests and verify_archive's check."""
    from archive.rfc3161 import load_certificates

    url = getattr(settings, "TSA_URL", "")
    cert = getattr(settings, "TSA_CA_CERT", "")
    if url and not cert:
        return [
            checks.Warning(
                "TSA_URL is set without TSA_CA_CERT: no timestamps are requested, since a token "
                "cannot be verified without the authority's certificate.",
                hint="Set TSA_CA_CERT to the PEM file of the TSA's root CA (or its self-signed certificate).",
                id="kanalvakt.W030",
            )
        ]
    if cert:
        try:
            load_certificates(cert)
        except (OSError, ValueError) as exc:
            return [
                checks.Error(
                    f"TSA_CA_CERT cannot be read as PEM certificates: {exc}",
                    hint="Point TSA_CA_CERT at a readable PEM file of the TSA's root CA.",
                    id="kanalvakt.E030",
                )
            ]
    return []
