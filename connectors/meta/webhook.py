"""Meta's webhook: the verification handshake and the signed deliveries.

A delivery is checked (``X-Hub-Signature-256``, HMAC-SHA256 of the raw body under the app secret,
compared in constant time), stored exactly as received and answered 200 at once: one INSERT … ON
CONFLICT DO NOTHING on the body's SHA-256, so that Meta's retry of the same body stores nothing new.
Nothing in the body is read here; a worker splits it into events (connectors.processing), so a burst
never times out Meta's delivery. No sign-in, no session, no CSRF token: the signature is the proof.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.models import Delivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"


def signature_of(body: bytes, secret: str) -> str:
    """The header value Meta sends with ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str, secret: str) -> bool:
    if not secret or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(signature_of(body, secret).encode("ascii"), header.encode("ascii", "replace"))


def _verify(request: HttpRequest) -> HttpResponse:
    """Meta's subscription handshake: echo the challenge when the verify token is ours."""
    expected = settings.META_VERIFY_TOKEN
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (
        not expected
        or mode != "subscribe"
        or not challenge
        or not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8"))
    ):
        return HttpResponse(status=403, content_type="text/plain")
    return HttpResponse(challenge[:200], content_type="text/plain; charset=utf-8")


def _wake_worker() -> None:
    from connectors.tasks import process_deliveries

    try:
        process_deliveries.delay()
    except Exception:  # a broker that is down: beat's run every minute picks the delivery up
        logger.warning("could not enqueue the processing of a webhook delivery", exc_info=True)


def _receive(request: HttpRequest) -> HttpResponse:
    secret = settings.META_APP_SECRET
    try:
        body = request.body
    except RequestDataTooBig:
        return HttpResponse(status=413, content_type="text/plain")
    if not signature_valid(body, request.META.get(SIGNATURE_HEADER, ""), secret):
        return HttpResponse(status=403, content_type="text/plain")
    created = store_delivery(body)
    if created:
        transaction.on_commit(_wake_worker)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


def store_delivery(body: bytes) -> bool:
    """Keep a checked delivery as received; True when it was new. Idempotent on the body's SHA-256:
    one INSERT … ON CONFLICT DO NOTHING, so that two copies arriving at once store one row."""
    sql = (
        "INSERT INTO connectors_delivery (platform, sha256, body, received_at, status, error, attempts) "
        "VALUES (%s, %s, %s, %s, %s, '', 0) ON CONFLICT (sha256) DO NOTHING RETURNING id"
    )
    assert Delivery._meta.db_table == "connectors_delivery"  # the table the statement names
    received_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            sql, ["meta", hashlib.sha256(body).hexdigest(), body, received_at, Delivery.Status.PENDING]
        )
        return cursor.fetchone() is not None


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _verify(request)
    return _receive(request)
