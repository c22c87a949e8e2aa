"""The writer-stage mode of the ingest benchmark runs and accounts for every row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.benchmark_smoke
def test_writer_stage_reports_its_ratio_to_psql(repo_root: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(repo_root / "benchmarks" / "ingest_vs_psql_copy.py"),
            "--smoke",
            "--stage",
            "writer",
            "--repeat",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=110,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rows"] == 20_000
    # The worker's default bound of 20,000 samples per write batch.
    assert report["writer_batches"] == 1
    assert len(report["writer_runs_s"]) == len(report["writer_psql_copy_runs_s"]) == 2
    # The report rounds seconds to the millisecond but computes rates and the ratio from the
    # exact times; at smoke size (tens of milliseconds) that rounding is worth a few percent,
    # so check each figure against the range the rounded seconds allow.
    half_ms = 0.0005
    writer_s, psql_s = report["writer_s"], report["writer_psql_copy_s"]
    assert 20_000 / (writer_s + half_ms) - 1 <= report["writer_rows_per_s"]
    assert report["writer_rows_per_s"] <= 20_000 / (writer_s - half_ms) + 1
    low = (psql_s - half_ms) / (writer_s + half_ms)
    high = (psql_s + half_ms) / (writer_s - half_ms)
    assert low - 0.001 <= report["writer_ratio"] <= high + 0.001
    # The writer-only stage never starts the worker.
    assert "ingest_s" not in report
