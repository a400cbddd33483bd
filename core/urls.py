from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from core import views
from core.forms import LoginForm

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
]

# Sign-in and sign-out keep Django's own names so that LOGIN_URL = "login" works everywhere.
auth_urlpatterns = [
    path(
        "logga-in/",
        login_not_required(
            auth_views.LoginView.as_view(
                template_name="registration/login.html", authentication_form=LoginForm
            )
        ),
        name="login",
    ),
    path("logga-ut/", auth_views.LogoutView.as_view(), name="logout"),
]
