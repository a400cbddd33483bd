"""Forms of the saved replies (*svarsmallar*): keeping one, and choosing one on the item page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import OrgUnit
from moderation.models import SavedReply


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'– ' * obj.depth}{obj.display_name}"


class SavedReplyForm(forms.Form):
    """A saved reply's title, text and unit (empty: the whole institution)."""

    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("A few words that tell the replies apart in the list, e.g. “Admission dates”."),
    )
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Professional, factual and open (KAU-RESPONSE-TONE). It is edited before it is sent."),
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        required=False,
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        empty_label=_("The whole institution"),
        help_text=_("Offered on the items of this unit's accounts and those of the units below it."),
    )

    @classmethod
    def for_reply(cls, reply: SavedReply, **kwargs: Any) -> SavedReplyForm:
        return cls(initial={"title": reply.title, "text": reply.text, "unit": reply.unit_id}, **kwargs)


class ChooseReplyForm(forms.Form):
    """The saved reply to insert into the answer (without JavaScript: the page is drawn again)."""

    reply = forms.TypedChoiceField(label=_("Saved reply"), coerce=int, required=False)

    def __init__(self, *args: Any, replies: list[SavedReply], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replies = {reply.pk: reply for reply in replies}
        field = self.fields["reply"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose a saved reply")), *((r.pk, self._label(r)) for r in replies)]

    @staticmethod
    def _label(reply: SavedReply) -> str:
        """A crisis's reply is named as such (KAU-CRISIS): it comes first while the crisis lasts."""
        if reply.crisis_id is not None:
            return str(_("Crisis: %(title)s")) % {"title": reply.title}
        return reply.title
