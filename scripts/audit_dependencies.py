"""pip-audit over the pinned requirements, with the vulnerability service's reachability decided first.

Run by ``make audit``. When PyPI's per-release JSON (the service pip-audit asks) answers, pip-audit runs
in strict mode, so that a package it could not check fails the audit instead of passing silently, and
every known vulnerability not listed in ``.pip-audit-exceptions`` fails it. When the service cannot be
reached (a machine without the internet), pip-audit would report each package as "not found" and
still say "No known vulnerabilities found": that false green is never printed. The audit is reported
as NOT RUN, with the reason, and passes, unless KANALVAKT_REQUIRE_AUDIT=1 makes the audit mandatory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements-dev.txt"  # includes requirements.txt
EXCEPTIONS = ROOT / ".pip-audit-exceptions"
PROBE = os.environ.get("PIP_AUDIT_PROBE_URL", "https://pypi.org/pypi/django/5.2.19/json")
_LINE = re.compile(r"^(?P<id>[A-Za-z0-9-]+)\s+(?P<until>\d{4}-\d{2}-\d{2})\s+(?P<reason>\S.*)$")


def exceptions(today: date) -> list[str]:
    """The vulnerability ids accepted for now: ``ID UNTIL-DATE reason`` a line. An expired one is an
    error, so that an exception is looked at again rather than kept forever."""
    ids = []
    for number, raw in enumerate(EXCEPTIONS.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            sys.exit(f"{EXCEPTIONS.name}:{number}: write 'ID YYYY-MM-DD reason'")
        if date.fromisoformat(match["until"]) < today:
            sys.exit(f"{EXCEPTIONS.name}:{number}: the exception for {match['id']} expired {match['until']}")
        ids.append(match["id"])
    return ids


def reachable(url: str) -> str | None:
    """None when the service answers for a pinned release, else why not."""
    if not url.startswith("https://"):
        return f"{url} is not an https:// address"
    try:
        # Only https (checked above), so no file: or custom scheme reaches urlopen.
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310  # nosec B310
            response.read(1)
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return f"{url} is unreachable ({exc})"
    return None


def main() -> int:
    ignored = exceptions(datetime.now(UTC).date())
    why_not = reachable(PROBE)
    if why_not is not None:
        required = os.environ.get("KANALVAKT_REQUIRE_AUDIT", "") == "1"
        print(f"pip-audit NOT RUN: the vulnerability service cannot be reached: {why_not}.")
        if required:
            print("KANALVAKT_REQUIRE_AUDIT=1: failing.")
            return 1
        print("Run `make audit` on a machine with access to PyPI to check the pinned requirements.")
        return 0
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(REQUIREMENTS),
        "--no-deps",  # every dependency is pinned in the two files, transitive ones too
        "--disable-pip",
        "--strict",
        "--progress-spinner",
        "off",
    ]
    for vulnerability in ignored:
        command += ["--ignore-vuln", vulnerability]
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603 (our own arguments)


if __name__ == "__main__":
    sys.exit(main())
