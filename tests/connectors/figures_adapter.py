"""A polled platform's module for the daily figures' tests (KAU-FOLLOWUP): ``figures`` reads the
account's counts from a stand-in server with the shared REST client, as a platform module does, so
that its errors (a 401, a 5xx) take the same path as a real module's. The tests point
``connectors.adapters.MODULES`` at this module and ``ADAPTER.base_url`` at the stand-in."""

from __future__ import annotations

from typing import Any

from connectors import rest
from connectors.adapters import FIGURE_KEYS, Adapter
from connectors.errors import PlatformError
from connectors.models import Connection, Platform


def classify(status: int, body: Any, headers: Any) -> PlatformError:
    return rest.classify_http(status, body, headers)


class CountsAdapter(Adapter):
    platform = Platform.YOUTUBE
    base_url = ""

    def figures(self, connection: Connection) -> dict[str, int]:
        client = rest.Client(
            self.base_url,
            classify=classify,
            headers={"Authorization": f"Bearer {connection.token}"},
            connection=connection,
        )
        body = client.get(f"/counts/{connection.external_id}")
        # Passed on as given: the registry's service is the one to check them.
        return {key: body[key] for key in FIGURE_KEYS if isinstance(body, dict) and key in body}


ADAPTER = CountsAdapter()
