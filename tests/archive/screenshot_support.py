"""Fixtures and helpers shared by the screenshot, stamp, ledger and capture tests: the moderation
fixtures, a media root per test, image makers, and what is on disk."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.moderation.conftest import NOW, account, make_item

__all__ = [
    "NOW",
    "account",
    "bomb_png",
    "image_bytes",
    "make_item",
    "media_root",
    "nothing_stored",
    "stored_files",
]


@pytest.fixture(autouse=True)
def media_root(media_root: Path) -> Path:
    """The media folder of tests/conftest.py, for every test that imports this."""
    return media_root


def image_bytes(
    fmt: str = "PNG",
    *,
    size: tuple[int, int] = (120, 90),
    mode: str = "RGB",
    colour: Any = (200, 30, 30),
    **save: Any,
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt, **save)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims ``width`` by ``height`` pixels (900 megapixels by default)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00"))
        + _chunk(b"IEND", b"")
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def nothing_stored(root: Path) -> bool:
    """No screenshot row, no file under the media root, no ledger entry."""
    from archive.models import LedgerEntry, Screenshot

    return not Screenshot.objects.exists() and not LedgerEntry.objects.exists() and stored_files(root) == []
