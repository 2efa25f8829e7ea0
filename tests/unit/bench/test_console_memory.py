"""The console's memory measurement runs, and measures what it says it does."""

from __future__ import annotations

from bench.console.__main__ import measure


def test_memory_per_call_is_measured_beside_the_records() -> None:
    """A positive heap growth per call, larger than the records it folds (a view keeps more)."""
    live = measure(50, ended=False)
    ended = measure(50, ended=True)
    assert live["records_per_call"] == 13
    assert ended["records_per_call"] == 15
    for run in (live, ended):
        assert run["bytes_per_call"] > run["record_bytes_per_call"] > 0
        assert run["ratio_to_records"] > 1
