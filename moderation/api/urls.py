"""The connector API under ``/api/v1/``.

LoginRequiredMiddleware would send a connector to the sign-in page; these views are exempt from it and
DRF enforces its own authentication instead (a token, IsAuthenticated): no token is a 401, never a
redirect.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from moderation.api import views

app_name = "api"

urlpatterns = [
    path(
        "accounts/<int:account_id>/items/",
        login_not_required(views.ItemCreateView.as_view()),
        name="items",
    ),
    path(
        "accounts/<int:account_id>/items/<int:item_id>/",
        login_not_required(views.ItemDetailView.as_view()),
        name="item",
    ),
]
