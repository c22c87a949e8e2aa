"""Fixtures for the demo tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def demo_root() -> Iterator[Path]:
    """A private directory directly under /tmp for an embedded PostgreSQL.

    As root, the embedded PostgreSQL runs as another system user that must traverse every
    parent directory. pytest's own temp root is reset to mode 0700 whenever any pytest
    session starts on this machine, which would lock that user out mid-test.
    """
    path = Path(tempfile.mkdtemp(prefix="labshare-demo-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
