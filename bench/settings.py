"""Settings for ``make bench``: Kanalvakt's own, with the floor view's URLconf and DEBUG off.

The floor view lives only here (bench/urls.py), never in the production URLconf.
"""

from __future__ import annotations

import copy
from pathlib import Path

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, KANALVAKT_BROKER_VISIBILITY_TIMEOUT, TEMPLATES, VAR_DIR
from core.env import env_str

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [Path(__file__).resolve().parent / "templates", BASE_DIR / "templates"]

# The seeded screenshots and the export's bags stay apart from anyone's own media.
MEDIA_ROOT = Path(env_str("BENCH_MEDIA_ROOT", str(VAR_DIR / "bench" / "media")))

# Nothing the benchmark triggers may need a broker: a task runs in the caller.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# The webhook intake benchmark (bench/webhook.py) runs its web server and a worker on a real broker:
# the webhook's answer must not include the processing.
BENCH_BROKER_URL = env_str("BENCH_BROKER_URL", "")
if BENCH_BROKER_URL:
    CELERY_BROKER_URL = BENCH_BROKER_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": KANALVAKT_BROKER_VISIBILITY_TIMEOUT}
    CELERY_TASK_ALWAYS_EAGER = False
