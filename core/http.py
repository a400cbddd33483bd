"""What every view of a person needs from the request, written once."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from core.models import User


def signed_in(request: HttpRequest) -> User:
    """The person behind the request, typed.

    LoginRequiredMiddleware has already turned anonymous visitors away from every view that is not
    marked public; anything else that is not a person (a connector's token) is refused here.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
