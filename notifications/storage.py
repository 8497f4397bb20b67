"""Private files (dossiers, letters): under PRIVATE_STORAGE_DIR, never a public media URL, served by views only."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings


def private_path(relative: str) -> Path:
    """Resolve a stored relative path inside the private storage, refusing anything that escapes it."""
    root = Path(settings.PRIVATE_STORAGE_DIR).resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("path outside the private storage")
    return path


def store_private(relative: str, content: bytes) -> Path:
    """Write a file under the private storage atomically, readable by its owner only."""
    path = private_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def exists(relative: str) -> bool:
    return bool(relative) and private_path(relative).is_file()


def whole_file_tokens(path: Path) -> Iterator[bytes]:
    """Yield the one Fernet token a file encrypted whole holds (key rotation and its count)."""
    yield path.read_bytes()


def rewrite_whole_file(path: Path, transform: Callable[[bytes], bytes]) -> None:
    """Replace a file encrypted whole, atomically, with its token passed through transform (key rotation)."""
    root = Path(settings.PRIVATE_STORAGE_DIR).resolve()
    store_private(str(path.resolve().relative_to(root)), transform(path.read_bytes()))
