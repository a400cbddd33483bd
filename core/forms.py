from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's sign-in form, with the autocomplete hints screen readers and password managers use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


def person_label(person: Any) -> str:
    """A person as pickers show them: the name, and the address that tells two namesakes apart."""
    name = person.get_full_name() or person.username
    return f"{name} ({person.email})" if person.email else str(name)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class UnitChoiceField(forms.ModelChoiceField):
    """Units indented by their depth in the organisation tree."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * obj.depth}{obj.display_name}"
