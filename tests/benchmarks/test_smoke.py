"""A seconds-long run of every benchmark script, so the scripts keep working.

The full runs stay out of the test command (see docs/benchmarks.md); each script accepts
``--smoke`` for a tiny load and must still print its side-by-side ratio.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[2] / "benchmarks").glob("*.py"))

pytestmark = pytest.mark.benchmark_smoke


def test_there_are_benchmarks() -> None:
    assert BENCHMARKS, "benchmarks/ has no scripts"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("script", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_smoke_run_prints_a_ratio(script: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=script.parent.parent,
        env={**os.environ, "PYTHONPATH": str(script.parent.parent)},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert re.search(r"ratio", output, re.IGNORECASE), output[-3000:]
