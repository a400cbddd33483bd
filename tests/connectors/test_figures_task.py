"""The daily job of the platforms' own numbers on the beat schedule (KAU-FOLLOWUP)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.connectors.graph_standin import connect, graph_api

pytestmark = pytest.mark.django_db


def test_the_task_runs_the_job_and_beat_runs_it_daily(make_account: Any, settings: Any) -> None:
    from connectors.tasks import record_figures as task

    entry = django_settings.CELERY_BEAT_SCHEDULE["record-figures"]
    assert entry["task"] == "connectors.tasks.record_figures"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({5}, {40})
    connect(make_account(platform="facebook_page"), platform="facebook", external_id="104857600012345")
    with graph_api(settings) as graph:
        graph.on("GET", "104857600012345", (200, {"followers_count": 8}))
        assert task() == 1  # today's reading, whatever today is
        assert task() == 0
        assert len(graph.sent("GET")) == 1
