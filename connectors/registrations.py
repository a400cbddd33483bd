"""What the connectors add to the apps below them, in one place: listeners on moderation's events,
the item page's and the account page's sections, the registry's flag and the start page's list."""

from __future__ import annotations


def register_all() -> None:
    from accounts.figures import register_figures
    from accounts.flags import register_flag
    from accounts.sections import register_section
    from connectors import item_page, outgoing, todo
    from connectors.account_flags import CONNECTION
    from connectors.account_page import connection_fact
    from connectors.figures import counted_figures
    from core import todo as start_page
    from moderation import events, sections

    # Kanalvakt's own counts of posts and comments pre-fill the follow-up form where the platform's
    # readings give none (KAU-FOLLOWUP).
    register_figures(counted_figures)
    # Connections: the account page's fact and the registry's flag.
    register_flag(CONNECTION, order=85)  # KAU-RESP-DAILY: a connection that needs attention
    register_section(connection_fact, order=20, place="facts")
    # Answers and removals recorded in moderation are carried out on the platform.
    events.answer_recorded.listen(outgoing.on_answer_recorded)
    events.removal_recorded.listen(outgoing.on_removal_recorded)
    sections.register_answer_destination(outgoing.answer_destination)
    sections.register_item_section(item_page.outgoing_section, order=50)
    start_page.register(todo.todo_outgoing, order=15)  # an answer that did not reach the platform
