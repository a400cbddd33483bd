"""A real Celery worker, started as a subprocess on Redis, builds an archive export (KAU-PUBLIC-RECORD).

Nothing is eager: the task travels by name through Redis to a separate worker process, which reads the
job from the same PostgreSQL database and the files from the same media folder, and writes the bag.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import bagit
import pytest

from archive import exports
from archive.models import ExportJob
from tests.archive.export_support import NOW, Archive, account, archive, make_item, media_root
from tests.conftest import Cast, redis_database
from tests.core.test_worker import client, wait_for, worker

# The shared fixtures, used here by name.
FIXTURES = (account, archive, make_item, media_root)

# A Redis database of the export tests' own, flushed before use.
EXPORT_REDIS_URL = redis_database(12)


def wait_until_finished(job_id: int, var_dir: Path, timeout: float = 120.0) -> ExportJob:
    def finished() -> ExportJob | None:
        job = ExportJob.objects.get(pk=job_id)
        return job if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED) else None

    return wait_for(finished, var_dir, "finished the export", timeout)


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_builds_a_valid_bag(
    cast: Cast, archive: Archive, media_root: Path, tmp_path: Path
) -> None:
    import redis

    redis.Redis.from_url(EXPORT_REDIS_URL).flushdb()
    job = exports.request_export(
        by=cast["registrar"],
        now=NOW,
        criteria={"unit": cast.units["faculty"].pk, "start": "2026-11-01", "end": "2026-11-30"},
        description="Begäran om allmän handling 2026/17",
    )
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    with worker(EXPORT_REDIS_URL, var_dir, MEDIA_ROOT=str(media_root)) as process:
        client(EXPORT_REDIS_URL).send_task("archive.tasks.run_export", args=[job.pk])
        finished = wait_until_finished(job.pk, var_dir)
        assert process.poll() is None
    assert finished.status == ExportJob.Status.DONE, finished.error
    assert finished.done == finished.total > 0

    with finished.file.open("rb") as handle, zipfile.ZipFile(handle) as bag_zip:
        bag_zip.extractall(tmp_path / "out")
    bag_dir = tmp_path / "out" / f"kanalvakt-export-{job.pk}"
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    originals = {path.name for path in (bag_dir / "data" / "screenshots" / "original").iterdir()}
    assert originals == {f"{archive.evidence.sha256}.png", f"{archive.startpage.sha256}.png"}
    readme: Any = (bag_dir / "README.txt").read_text(encoding="utf-8")
    assert "Begäran om allmän handling 2026/17" in readme


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_builds_a_delivery_package(
    cast: Cast, archive: Archive, media_root: Path, tmp_path: Path
) -> None:
    """The same task builds an FGS 2.0 / E-ARK SIP when the job asks for one."""
    import redis

    from tests.archive.eark_support import check_files

    redis.Redis.from_url(EXPORT_REDIS_URL).flushdb()
    job = exports.request_export(
        by=cast["registrar"],
        now=NOW,
        criteria={"unit": cast.units["faculty"].pk, "start": "2026-11-01", "end": "2026-11-30"},
        description="Leverans till arkivet",
        package_format="fgs",
    )
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    with worker(EXPORT_REDIS_URL, var_dir, MEDIA_ROOT=str(media_root)) as process:
        client(EXPORT_REDIS_URL).send_task("archive.tasks.run_export", args=[job.pk])
        finished = wait_until_finished(job.pk, var_dir)
        assert process.poll() is None
    assert finished.status == ExportJob.Status.DONE, finished.error
    with finished.file.open("rb") as handle, zipfile.ZipFile(handle) as package_zip:
        package_zip.extractall(tmp_path / "out")
    package = tmp_path / "out" / f"kanalvakt-export-{job.pk}"
    assert check_files(package) == []
    originals = {path.name for path in (package / "representations" / "rep-screenshots" / "data").iterdir()}
    assert originals == {f"{archive.evidence.sha256}.png", f"{archive.startpage.sha256}.png"}
