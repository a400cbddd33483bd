"""The URL configuration. Every view needs a login unless it is marked @login_not_required."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView

from accounts import public_views
from core import views as core_views
from core.urls import auth_urlpatterns

admin.site.site_header = "Kanalvakt"
admin.site.site_title = "Kanalvakt"

urlpatterns = [
    path("", include("core.urls")),
    *auth_urlpatterns,
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("governance.urls")),
    path("konton/", include("accounts.urls")),
    path("moderering/", include("moderation.urls")),
    path("arkiv/", include("archive.urls")),
    # The platforms' connections (the account page, the social media lead's overview).
    path("kopplingar/", include("connectors.ui_urls")),
    # What the platforms call: webhooks, signed by the platform, never a sign-in.
    path("connectors/", include("connectors.urls")),
    # The public list of official accounts (KTH-PRIVATE): open to everyone, nothing internal.
    path("officiella-konton/", public_views.official_accounts, name="official_accounts"),
    path("official-accounts.json", public_views.official_accounts_json, name="official_accounts_json"),
    path("admin/", admin.site.urls),
    # The connectors' API; DRF authenticates it (a token), so no sign-in redirect.
    path("api/v1/", include("moderation.api.urls")),
    path("api/schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
]

handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
