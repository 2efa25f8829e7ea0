"""Small pure helpers of the harness: metric sums, CPU arithmetic, the stack's configuration."""

from __future__ import annotations

from bench.pipeline.machine import CpuSnapshot, spent
from bench.pipeline.plan import BENCH_TOOL
from bench.pipeline.under_test import bench_config
from devkit.stack import sum_samples

METRICS = """\
# HELP callstream_streams_records_in_total Records in.
# TYPE callstream_streams_records_in_total counter
callstream_streams_records_in_total{topic="tool-calls"} 120.0
callstream_streams_records_in_total{topic="call-events"} 30.0
callstream_streams_table_keys{status="active",table="calls"} 7.0
callstream_streams_table_keys{status="keys",table="index"} 9.0
"""


def test_samples_are_summed_by_name_and_labels() -> None:
    """Only samples of the name whose labels match count."""
    assert sum_samples(METRICS, "callstream_streams_records_in_total", {}) == 150.0
    assert sum_samples(METRICS, "callstream_streams_records_in_total", {"topic": "tool-calls"}) == (
        120.0
    )
    assert sum_samples(METRICS, "callstream_streams_table_keys", {"table": "calls"}) == 7.0
    assert sum_samples(METRICS, "missing_total", {}) == 0.0


def test_cpu_spent_and_the_neighbours_share() -> None:
    """Per-group differences; what the machine spent beyond our groups is the others'."""
    before = CpuSnapshot(at=100.0, groups={"streams": 10.0, "ingress": 5.0}, machine_busy_s=50.0)
    after = CpuSnapshot(at=110.0, groups={"streams": 14.0, "ingress": 6.0}, machine_busy_s=65.0)
    assert spent(before, after, extra_s=2.0) == {
        "streams": 4.0,
        "ingress": 1.0,
        "wall_s": 10.0,
        "machine_s": 15.0,
        "others_s": 8.0,
    }


def test_the_bench_configuration_keeps_the_demo_and_isolates_the_run() -> None:
    """The demo's tools stay, the bench tool has no backend, source topics take the prefix."""
    config = bench_config("run1.", partitions=6, tool_runner_concurrency=64)
    assert {"check_loyalty_points", "lookup_order_status", BENCH_TOOL} <= set(config.tools)
    assert config.tools[BENCH_TOOL].backend is None
    assert {spec.topic for spec in config.sources.values()} == {
        "run1.crm.events",
        "run1.fraud.alerts",
        "run1.ticketing.events",
    }
    assert config.topics.partitions == 6
    assert config.streams.tool_runner_concurrency == 64


def test_the_bench_configuration_keeps_the_default_tool_runner_concurrency() -> None:
    """Without an override, the tool runner runs with the configuration's default."""
    assert bench_config("p.", partitions=12).streams.tool_runner_concurrency == (
        bench_config("q.", partitions=3).streams.tool_runner_concurrency
    )
