"""Who and why on every audited change (django-simple-history).

Services call ``record(obj, by=..., reason=...)`` before ``save()`` so that each historical row names
the person and the reason, also when the change comes from a Celery task or a management command
where no request is at hand.
"""

from __future__ import annotations

from typing import Any


def record(obj: Any, *, by: Any | None, reason: str) -> None:
    """Set the actor and the reason that the next ``obj.save()`` writes into its history."""
    obj._history_user = by if by is not None and getattr(by, "is_authenticated", False) else None
    obj._change_reason = reason[:100]
