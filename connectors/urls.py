"""What the platforms call (webhooks): authenticated by the platform's signature, not a sign-in."""

from django.urls import path

app_name = "connectors_hooks"

urlpatterns: list = [
    # GET: Meta's verification handshake; POST: signed deliveries (connectors.meta.webhook).
]
