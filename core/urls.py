from django.contrib.auth import views as auth_views
from django.urls import path

from core import email_views, policy_views, sso, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("e-post/", email_views.email_settings, name="email_settings"),
    # Every rule of the policy and what Kanalvakt does about it, as a page and as JSON.
    path("regler/", policy_views.policy_page, name="policy"),
    path("regler.json", policy_views.policy_json, name="policy_json"),
]

# Sign-in and sign-out keep Django's own names so that LOGIN_URL = "login" works everywhere.
auth_urlpatterns = [
    path("logga-in/", sso.password_login, name="login"),
    path("logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (SAML 2.0); each answers 404 while KANALVAKT_SSO is unset. Open without a
    # sign-in: the way to the identity provider, the identity provider's answer, and the metadata.
    path("logga-in/sso/", sso.sso_login, name="sso_login"),
    path("saml2/acs/", sso.sso_acs, name="sso_acs"),
    path("saml2/metadata/", sso.sso_metadata, name="sso_metadata"),
]
