from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core import bounds


class _DirectOptions:
    """A select that writes its options directly instead of rendering a template per option: the
    pickers of units, people and accounts list hundreds or thousands, and Django's per-option
    templates cost tens of milliseconds a page. The same markup as Django's templates."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget: Any = self
        final_attrs = widget.build_attrs(widget.attrs, attrs)
        if widget.allow_multiple_selected:
            final_attrs["multiple"] = True
        chosen = {str(v) for v in widget.format_value(value)}
        parts = [f'<select name="{escape(name)}"{flatatt(final_attrs)}>']
        for option_value, option_label in widget.choices:
            if isinstance(option_label, list | tuple):
                parts.append(f'<optgroup label="{escape(option_value)}">')
                parts.extend(self._option(v, label, chosen) for v, label in option_label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(option_value, option_label, chosen))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308  # every value is escaped above  # nosec B308 B703

    @staticmethod
    def _option(value: Any, label: Any, chosen: set[str]) -> str:
        text = "" if value is None else str(value)
        selected = " selected" if text in chosen else ""
        return f'<option value="{escape(text)}"{selected}>{escape(label)}</option>'


class DirectSelect(_DirectOptions, forms.Select):
    pass


class DirectSelectMultiple(_DirectOptions, forms.SelectMultiple):
    pass


class PeoplePicker(forms.CheckboxSelectMultiple):
    """Any number of people picked among everyone employed: a checkbox each in a list that scrolls
    inside its own box, the chosen first, and a search box that filters the list by name or e-mail
    as one types (static/js/people-picker.js). Without JavaScript the search box stays hidden and the
    whole list is there to tick, the chosen at the top. Written directly, as DirectSelect is: the
    list holds every active person."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        # The list of what to fix links to the whole list (which takes focus), not to whoever
        # happens to be first in it.
        return id_ if index is None else f"{id_}_{index}"

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        base = str(final_attrs.get("id") or f"id_{name}")
        chosen = {str(v) for v in self.format_value(value)}
        options = [(str(v), str(label)) for v, label in self.choices if str(v) != ""]
        options.sort(key=lambda option: option[0] not in chosen)  # stable: the chosen first, in order
        rows = []
        for index, (option_value, label) in enumerate(options):
            checked = " checked" if option_value in chosen else ""
            option_id = f"{base}_{index}"
            rows.append(
                f'<li class="people-picker__option" data-search="{escape(label.lower())}">'
                f'<input type="checkbox" name="{escape(name)}" value="{escape(option_value)}" '
                f'id="{escape(option_id)}"{checked}> '
                f'<label for="{escape(option_id)}">{escape(label)}</label></li>'
            )
        search_label = escape(_("Search by name or e-mail"))
        no_match = escape(_("Nobody matches the search."))
        return mark_safe(  # noqa: S308  # every value is escaped above  # nosec B308 B703
            f'<div class="people-picker" data-people-picker>'
            f'<div class="people-picker__search" data-people-search hidden>'
            f'<label for="{escape(base)}_search">{search_label}</label>'
            f'<input type="search" id="{escape(base)}_search" autocomplete="off" spellcheck="false" '
            f'aria-controls="{escape(base)}">'
            f'<p class="help" data-people-none hidden>{no_match}</p>'
            f"</div>"
            f'<ul class="people-picker__list" id="{escape(base)}" tabindex="-1">{"".join(rows)}</ul>'
            f"</div>"
        )


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


def unit_filter_field(*, queryset: Any, empty_label: Any) -> UnitChoiceField:
    """The optional unit of a list's filters; choosing one takes in the units below it."""
    return UnitChoiceField(
        label=_("Unit"),
        queryset=queryset,
        required=False,
        empty_label=empty_label,
        help_text=_("Includes the units below it."),
    )


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's refusal on the form: on the field it names, or above the form when it names
    none (or one the form does not have)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class DayField(forms.DateField):
    """A day picked in the browser's date input, which sends and shows it as YYYY-MM-DD."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """A form whose optional ``start`` and ``end`` days are each held to core.bounds: from 1990 up to
    a year after ``period_today()``. The subclass declares the two fields."""

    def period_today(self) -> date:
        return timezone.localdate()

    def clean_start(self) -> date | None:
        return self._within_bounds("start")

    def clean_end(self) -> date | None:
        return self._within_bounds("end")

    def _within_bounds(self, name: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is not None:
            bounds.check_period_day(value, today=self.period_today())
        return value
