"""The ingest benchmark runs end to end and accounts for every row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.benchmark_smoke
def test_benchmark_ingests_every_row_and_reports_the_ratio(repo_root: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(repo_root / "benchmarks" / "ingest_vs_psql_copy.py"),
            "--rows",
            "20000",
        ],
        capture_output=True,
        text=True,
        timeout=110,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rows"] == 20000
    assert report["messages"] == 20
    assert report["ingest_rows_per_s"] > 0
    # Seconds are rounded to the millisecond in the report; the ratio uses the exact times.
    half_ms = 0.0005
    ingest_s, psql_s = report["ingest_s"], report["psql_copy_s"]
    low = (psql_s - half_ms) / (ingest_s + half_ms)
    high = (psql_s + half_ms) / (ingest_s - half_ms)
    assert low - 0.001 <= report["ratio"] <= high + 0.001
