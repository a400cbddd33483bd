"""What the connectors add to the apps below them, in one place: listeners on moderation's events,
the item page's and the account page's sections, the registry's flag and the start page's list."""

from __future__ import annotations


def register_all() -> None:
    # --- Out: answers and removals posted to the platform -------------------------------------------
    from connectors import item_page, outgoing, todo
    from core import todo as start_page
    from moderation import events, sections

    events.answer_recorded.listen(outgoing.on_answer_recorded)
    events.removal_recorded.listen(outgoing.on_removal_recorded)
    sections.register_answer_destination(outgoing.answer_destination)
    sections.register_item_section(item_page.outgoing_section, order=50)
    start_page.register(todo.todo_outgoing, order=15)  # an answer that did not reach the platform
    # --- End of Out ---------------------------------------------------------------------------------
