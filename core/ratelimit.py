"""Rate limits counted in the shared cache, so that they hold across every process and host.

Fixed windows with the cache's atomic ``incr`` (Redis, or the file cache of one machine): the same
counting as the connector API's throttle (``moderation.api.views.ConnectorThrottle``). A list of times
written back, as DRF keeps it, would lose counts when two processes write at once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_UNITS |= {"d": 86400, "day": 86400}


@dataclass(frozen=True)
class Rate:
    """``count`` per ``seconds``."""

    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """ "5/min" → Rate(5, 60). The settings check the form at start (config.settings)."""
    match = re.fullmatch(r"([1-9]\d*)/([a-z]+)", text.strip())
    if match is None or match.group(2) not in _UNITS:
        raise ValueError(f"Not a rate: {text!r}")
    return Rate(int(match.group(1)), _UNITS[match.group(2)])


def hit(key: str, rate: Rate, *, now: datetime) -> int | None:
    """Count one request under ``key`` in the window ``now`` falls in.

    None while within ``rate``; otherwise the whole seconds until the window ends (for Retry-After).
    Should the cache be unreachable, the request is let through and the failure logged: a limit guards
    against a runaway, it is not a reason to refuse everyone.
    """
    moment = now.timestamp()
    window = int(moment // rate.seconds)
    full_key = f"rate:{key}:{rate.seconds}:{window}"
    try:
        cache.add(full_key, 0, timeout=rate.seconds + 1)
        try:
            count = cache.incr(full_key)
        except ValueError:  # the key expired between add and incr: this is the window's first request
            cache.add(full_key, 1, timeout=rate.seconds + 1)
            count = 1
    except Exception:
        logger.warning("The rate %s could not be counted; the request is let through.", key, exc_info=True)
        return None
    if count <= rate.count:
        return None
    return max(1, int((window + 1) * rate.seconds - moment + 0.999))
