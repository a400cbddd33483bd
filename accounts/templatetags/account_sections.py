"""Rendering a section another app contributes to the account page (accounts.sections)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from accounts.sections import AccountSection

register = template.Library()


@register.simple_tag(takes_context=True)
def account_section(context: template.Context, section: AccountSection) -> SafeString:
    """The section's template, rendered like ``{% include %}``: the page's context with the section's
    own on top (the CSRF token, the person and ``now`` included)."""
    assert context.template is not None  # a tag renders inside a template
    included = context.template.engine.get_template(section.template)
    with context.push(**section.context):
        return included.render(context)
