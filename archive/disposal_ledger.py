"""The fixity ledger's view of disposal: a file destroyed under an approved disposal decision is a lawful
gap, not a missing file (arkivlagen 10 §, RA-FS 2021:6).

``archive.ledger.verify`` calls ``excuse_disposed`` once, on the problems it found: a MISSING_FILE whose
path has a later DISPOSAL entry in the ledger is dropped from the problems and reported in the summary
as disposed of under its decision. The DISPOSAL entries themselves are chained and verified like every
other entry; only the file's absence is excused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from archive.models import DisposedFile, LedgerEntry


@dataclass(frozen=True)
class Gap:
    """Files absent because a disposal decision destroyed them."""

    decision: str
    files: int

    def __str__(self) -> str:
        return f"{self.files} file(s) disposed of under decision {self.decision}"


def disposal_entries() -> dict[str, tuple[int, str]]:
    """Each disposed path: its last DISPOSAL entry's id and the decision's reference."""
    found: dict[str, tuple[int, str]] = {}
    rows = DisposedFile.objects.filter(ledger_entry__kind=LedgerEntry.Kind.DISPOSAL).values_list(
        "path", "ledger_entry_id", "disposal__decision_reference"
    )
    for path, entry_id, decision in rows:
        if path not in found or found[path][0] < entry_id:
            found[path] = (entry_id, decision)
    return found


def excuse_disposed(problems: list[Any], report: Any) -> list[Any]:
    """The problems less the files lawfully disposed of; the gaps go to ``report.disposed``."""
    from archive.ledger import MISSING_FILE

    disposed = disposal_entries()
    kept: list[Any] = []
    gaps: dict[str, set[str]] = defaultdict(set)
    for path, (_entry_id, decision) in disposed.items():
        gaps[decision].add(path)
    for problem in problems:
        lawful = disposed.get(problem.path)
        if (
            problem.kind == MISSING_FILE
            and lawful
            and problem.entry_id is not None
            and lawful[0] >= problem.entry_id
        ):
            continue
        kept.append(problem)
    report.disposed = [Gap(decision, len(paths)) for decision, paths in sorted(gaps.items())]
    return kept
