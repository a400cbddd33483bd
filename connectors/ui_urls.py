"""The connection pages: connecting an account, its health, the social media lead's overview, and the
item page's actions on the platform."""

from django.urls import path

from connectors import item_views, views

app_name = "connectors"

urlpatterns = [
    # Connections: the overview, an account's connection, Facebook Login (connectors.views).
    path("", views.overview, name="overview"),
    path("konto/<int:account_id>/", views.account_connection, name="account"),
    path("konto/<int:account_id>/anslut/", views.connect, name="connect"),
    path("konto/<int:account_id>/token/", views.replace_token, name="token"),
    path("konto/<int:account_id>/koppla-fran/", views.disconnect, name="disconnect"),
    path("konto/<int:account_id>/facebook/", views.oauth_start, name="oauth_start"),
    path("facebook/tillbaka/", views.oauth_callback, name="oauth_callback"),
    path("facebook/valj/", views.oauth_choose, name="oauth_choose"),
    # What was sent to the platform from an item page: check an unknown outcome, try a refusal again.
    path("utgaende/<int:pk>/kontrollera/", item_views.outgoing_check, name="outgoing_check"),
    path("utgaende/<int:pk>/forsok-igen/", item_views.outgoing_retry, name="outgoing_retry"),
]
