from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class _DirectOptions:
    """A select that writes its options directly instead of rendering a template per option: the
    pickers of units, people and accounts list hundreds or thousands, and Django's per-option
    template cost tens of milliseconds a page. Same markup as Django's templates."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        parts: list[str] = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            for option in options:
                value_text = "" if option["value"] is None else str(option["value"])
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        value_text,
                        flatatt(option["attrs"]),
                        option["label"],
                    )
                )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308  # every part is escaped by format_html  # nosec B308 B703


class DirectSelect(_DirectOptions, forms.Select):
    pass


class DirectSelectMultiple(_DirectOptions, forms.SelectMultiple):
    pass


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
    widget = DirectSelect

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    widget = DirectSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class UnitChoiceField(forms.ModelChoiceField):
    """Units indented by their depth in the organisation tree."""

    widget = DirectSelect

    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * obj.depth}{obj.display_name}"
