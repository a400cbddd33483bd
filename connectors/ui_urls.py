"""The connection pages: connecting an account, its health, and the social media lead's overview."""

from django.urls import path

from connectors import item_views

app_name = "connectors"

urlpatterns: list = []

# --- The item page's actions on the platform (answers and removals sent out) ---------------------------
urlpatterns += [
    path("utgaende/<int:pk>/kontrollera/", item_views.outgoing_check, name="outgoing_check"),
    path("utgaende/<int:pk>/forsok-igen/", item_views.outgoing_retry, name="outgoing_retry"),
]
