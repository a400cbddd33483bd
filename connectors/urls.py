"""What the platforms call (webhooks): authenticated by the platform's signature, not a sign-in."""

from django.urls import path

from connectors.meta import webhook

app_name = "connectors_hooks"

urlpatterns: list = [
    # GET: Meta's verification handshake; POST: signed deliveries (connectors.meta.webhook).
    path("meta/webhook/", webhook.meta_webhook, name="meta_webhook"),
]
