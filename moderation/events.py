"""What moderation announces to the apps above it (the connectors), which listen in their
AppConfig.ready(); core.events says why these are not Django signals.

Moderation stays platform-agnostic: it records what a person decided (an answer, a removal), and a
connector that has the account's connection turns the decision into a call to the platform. The
listeners run in the service's transaction, so what they write commits with the decision or not at
all; the call itself runs in a worker after the commit.
"""

from __future__ import annotations

from core.events import Event

answer_recorded = Event(
    "answer_recorded",
    "An answer to an item was recorded (``item``, ``by``, ``now``): a connector posts it to the "
    "platform where the account is connected (KAU-RESPONSE-DEADLINE).",
)

removal_recorded = Event(
    "removal_recorded",
    "Prohibited content was removed, its evidence kept (``item``, ``by``, ``now``): a connector hides "
    "or deletes it on the platform (KAU-PROHIBITED, KAU-PROHIBITED-EVIDENCE).",
)
