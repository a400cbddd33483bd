"""The connectors' background work. One line each; the work lives in the connectors' modules.

Per-task settings: each names its own time limits, is acknowledged late and re-queued when its worker
is lost (each is idempotent: it claims its rows).
"""

from __future__ import annotations

from django.utils import timezone

from connectors import processing
from core.tasks import idempotent_task

# --- In: webhook deliveries ------------------------------------------------------------------------------


# Enqueued after each new delivery is stored, and by beat every minute as a safety net. Each batch of
# deliveries commits on its own, claimed with SKIP LOCKED, so two runs at once share the work and a
# run cut short keeps what it finished (processing stops itself well before the soft limit).
@idempotent_task("connectors.tasks.process_deliveries", soft_time_limit=240, time_limit=300)
def process_deliveries() -> int:
    return processing.process_pending(now=timezone.now())


# --- End of In ---------------------------------------------------------------------------------------------
