"""``python -m bench --quick``: every part of the harness runs end to end on tiny sizes.

It checks the harness, not the pipeline's speed: each part must produce its
figures (floor and pipeline side by side, every capacity search, the versus
bursts, the scale part's restore), so a change that breaks a part is caught
by ``make test`` rather than by the next full ``make bench``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devkit.testing.broker import BrokerHandle

BENCH_TIMEOUT_S = 420


def test_every_part_of_a_quick_run_reports_its_figures(
    kafka_broker: BrokerHandle, tmp_path: Path
) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    [report] = tmp_path.glob("*.json")
    run = json.loads(report.read_text())
    assert run["problems"] == []
    parts = run["parts"]
    for step in parts["latency"]["steps"]:
        for mode in ("floor", "pipeline"):
            measured = step[mode]
            assert measured["delivered"] > 0, (mode, step["rate"])
            assert measured["lost"] == 0, (mode, step["rate"])
            assert measured["latency"]["p50_ms"] > 0, (mode, step["rate"])
    assert parts["cost"]["per_1000"]["streams"] > 0
    for workers in ("1+1", "floor", "2+2"):
        assert parts["capacity"][workers]["sustained_rate"], workers
    for side in parts["versus"]["sides"]:
        assert side["acknowledged"] > 0, side["side"]
    assert {side["side"] for side in parts["versus"]["sides"]} >= {"callstream"}
    assert parts["scale"]["recovery"]["restore_s"] > 0
    assert list(tmp_path.glob("*.md"))
    assert list(tmp_path.glob("*.png"))
