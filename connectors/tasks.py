"""The connectors' background work. One line each; the work lives in the modules named.

Per-task settings: each names its own time limits, is acknowledged late and re-queued when its worker
is lost (each is idempotent: it claims its rows).
"""

from __future__ import annotations

from django.utils import timezone

from connectors import figures, outgoing, polling, processing, reconcile
from core.tasks import idempotent_task

# --- In: webhook deliveries ------------------------------------------------------------------------------


# Enqueued after each new delivery is stored, and by beat every minute as a safety net. Each batch of
# deliveries commits on its own, claimed with SKIP LOCKED, so two runs at once share the work and a
# run cut short keeps what it finished (processing stops itself well before the soft limit).
@idempotent_task("connectors.tasks.process_deliveries", soft_time_limit=240, time_limit=300)
def process_deliveries() -> int:
    return processing.process_pending(now=timezone.now())


# --- Out: answers and removals, the reconciliation poll and the backfill ---------------------------------


# One call to the platform (with its few short retries). Claimed (queued → sending) before the call,
# so a redelivered message sends nothing twice; a row cut off mid-call is made unknown by the sweep.
@idempotent_task("connectors.tasks.send_outgoing", soft_time_limit=60, time_limit=90)
def send_outgoing(outgoing_id: int) -> str | None:
    return outgoing.send(outgoing_id, now=timezone.now())


# The safety net of the sending: rows cut off while sending, queued rows whose message was lost.
@idempotent_task("connectors.tasks.sweep_outgoing", soft_time_limit=120, time_limit=150)
def sweep_outgoing() -> tuple[int, int]:
    return outgoing.sweep_outgoing(now=timezone.now())


# KAU-RESP-DAILY: Meta does not promise delivery; each live connection is polled at most hourly.
@idempotent_task("connectors.tasks.reconcile_due", soft_time_limit=540, time_limit=600)
def reconcile_due() -> int:
    return reconcile.reconcile_due(now=timezone.now())


# The last 14 days of a newly connected account, with its progress on the connection page.
@idempotent_task("connectors.tasks.backfill_connection", soft_time_limit=1700, time_limit=1800)
def backfill_connection(connection_id: int) -> str:
    return reconcile.run_backfill(connection_id, now=timezone.now())


# --- The polled platforms (YouTube, LinkedIn, TikTok, Bluesky, Mastodon) --------------------------------


# KAU-RESP-DAILY: every minute, the connections whose poll is due (each on its platform's interval).
@idempotent_task("connectors.tasks.poll_due", soft_time_limit=270, time_limit=300)
def poll_due() -> int:
    return polling.poll_due(now=timezone.now())


# A newly connected account's first poll (the last 14 days), or "poll now" on the connection page.
@idempotent_task("connectors.tasks.poll_connection", soft_time_limit=270, time_limit=300)
def poll_connection(connection_id: int) -> str:
    return polling.poll_one(connection_id, now=timezone.now())


# --- The platforms' own numbers (KAU-FOLLOWUP) -----------------------------------------------------------


# Once a day, each live connection's followers and running totals, kept as the account's reading of the
# day; a second run the same day reads nothing again.
@idempotent_task("connectors.tasks.record_figures", soft_time_limit=1740, time_limit=1800)
def record_figures() -> int:
    return figures.record_figures(now=timezone.now())
