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
    # writer_s is rounded to the millisecond in the report.
    assert report["writer_rows_per_s"] == pytest.approx(20_000 / report["writer_s"], rel=0.02)
    assert report["writer_ratio"] == pytest.approx(
        report["writer_psql_copy_s"] / report["writer_s"], abs=0.01
    )
    # The writer-only stage never starts the worker.
    assert "ingest_s" not in report
