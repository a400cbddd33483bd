"""Template filters shared by every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def when(value: datetime | None) -> str:
    """A date and time as people read it here: "24 nov 2026 10:00", Europe/Stockholm."""
    if value is None:
        return ""
    return date_format(timezone.localtime(value), "j M Y H:i").lower()


@register.filter
def isoformat(value: datetime | None) -> str:
    """A moment for ``<time datetime>``: ISO 8601 in Europe/Stockholm with its offset, to the second.
    The HTML standard allows at most three digits of a second; Python writes six."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


@register.filter
def overdue(item: Any, now: datetime) -> bool:
    return bool(item.is_overdue(now))


@register.inclusion_tag("includes/fields.html")
def fields(form: Any, *names: str) -> dict[str, Any]:
    """The named fields of a form, in that order, each as ``includes/field.html`` renders it. A name
    the form does not have (a field left out for this user) is passed over."""
    return {"fields": [form[name] for name in names if name in form.fields]}


@register.inclusion_tag("includes/column_heads.html")
def column_heads(*labels: str) -> dict[str, Any]:
    """A table's ``<thead>``: one column header a label, in that order."""
    return {"labels": labels}


def _attributes(attrs: dict[str, template.base.FilterExpression], context: template.Context) -> str:
    """HTML attributes from ``name=value`` arguments, ``_`` in a name read as ``-``: ``True`` gives
    the bare name, an empty, false or missing value leaves the attribute out."""
    html = []
    for name, expression in attrs.items():
        value = expression.resolve(context)
        if value is True:
            html.append(format_html(" {}", name))
        elif value is not None and value is not False and value != "":
            html.append(format_html(' {}="{}"', name, value))
    return format_html_join("", "{}", ((piece,) for piece in html))


def _split_attributes(parser: template.base.Parser, bits: list[str], tag: str) -> dict[str, Any]:
    attrs = {}
    for bit in bits:
        name, sep, value = bit.partition("=")
        if not sep or not name.replace("_", "").replace("-", "").isalnum():
            raise template.TemplateSyntaxError(f"'{tag}' takes name=value arguments, not {bit!r}")
        attrs[name.replace("_", "-")] = parser.compile_filter(value)
    return attrs


class RowsNode(template.Node):
    def __init__(
        self,
        sequence: template.base.FilterExpression,
        names: list[str],
        empty: template.base.FilterExpression | None,
        table_attrs: dict[str, template.base.FilterExpression],
        row_attrs: dict[str, template.base.FilterExpression],
        head: template.NodeList,
        body: template.NodeList,
    ) -> None:
        self.sequence, self.names, self.empty = sequence, names, empty
        self.table_attrs, self.row_attrs = table_attrs, row_attrs
        self.head, self.body = head, body

    def render(self, context: template.Context) -> str:
        items = self.sequence.resolve(context, ignore_failures=True) or []
        if not items and self.empty is not None:
            return format_html('<p class="empty">{}</p>', self.empty.resolve(context))
        with context.push():
            parent = context.get("forloop")
            last = len(items) - 1
            rows = format_html_join(
                "",
                "<tr{}>{}</tr>",
                (
                    self._row(
                        item,
                        context,
                        {
                            "counter0": i,
                            "counter": i + 1,
                            "first": i == 0,
                            "last": i == last,
                            "parentloop": parent,
                        },
                    )
                    for i, item in enumerate(items)
                ),
            )
        # A table wider than a phone scrolls inside its own region, never the page; the region is
        # focusable so that it scrolls from the keyboard, and numbered so that each name is unique.
        count = int(context.render_context.get("kanalvakt_tables") or 0) + 1
        context.render_context["kanalvakt_tables"] = count
        return format_html(
            '<div class="table-scroll" role="region" tabindex="0" aria-label="{}">'
            "<table{}>{}<tbody>{}</tbody></table></div>",
            _("Table %(number)s, scrolls sideways") % {"number": count},
            _attributes(self.table_attrs, context),
            self.head.render(context),
            rows,
        )

    def _row(self, item: Any, context: template.Context, forloop: dict[str, Any]) -> tuple[str, str]:
        context["forloop"] = forloop
        if len(self.names) == 1:
            context[self.names[0]] = item
        else:
            for name, value in zip(self.names, item, strict=True):
                context[name] = value
        return _attributes(self.row_attrs, context), self.body.render(context)


@register.tag
def rows(parser: template.base.Parser, token: template.base.Token) -> RowsNode:
    """A table with one row an item, or a paragraph when there are none::

        {% rows accounts as account empty=_("No accounts match.") class="table" %}
          <caption>…</caption>{% column_heads … %}
        {% row class=account.closed|yesno:"row--closed," %}
          <td>{{ account.name }}</td>
        {% endrows %}

    What comes before ``{% row %}`` stands before ``<tbody>``; what follows it is drawn inside one
    ``<tr>`` an item, as a for loop would, the item named as after ``as`` (``as a, b`` unpacks).
    ``empty`` is the text of ``<p class="empty">`` drawn instead of a table without rows; without
    it the table is drawn anyway. Other ``name=value`` arguments are the table's attributes, and
    those of ``{% row %}`` each row's, resolved for that row (``data_x`` is written ``data-x``)."""
    bits = token.split_contents()
    tag = bits[0]
    try:
        as_index = bits.index("as")
    except ValueError:
        raise template.TemplateSyntaxError(f"'{tag}' wants 'sequence as name'") from None
    if as_index != 2:
        raise template.TemplateSyntaxError(f"'{tag}' wants 'sequence as name'")
    sequence = parser.compile_filter(bits[1])
    rest = bits[3:]
    names_text = ""
    while rest and "=" not in rest[0]:
        names_text += rest.pop(0)
    names = [name for name in names_text.split(",") if name]
    if not names:
        raise template.TemplateSyntaxError(f"'{tag}' wants a name after 'as'")
    table_attrs = {"class": parser.compile_filter('"table"'), **_split_attributes(parser, rest, tag)}
    empty = table_attrs.pop("empty", None)
    head = parser.parse(("row",))
    row_attrs = _split_attributes(parser, parser.next_token().split_contents()[1:], "row")
    body = parser.parse(("endrows",))
    parser.delete_first_token()
    return RowsNode(sequence, names, empty, table_attrs, row_attrs, head, body)
