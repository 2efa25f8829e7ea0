"""Reading py-spy's collapsed stacks: which package each sample's time belongs to."""

from __future__ import annotations

import pytest

from bench.pipeline.sampling import top

LOOP = (
    "run_forever (asyncio/base_events.py:607);BaseEventLoop._run_once (asyncio/base_events.py:1884)"
)


@pytest.mark.parametrize(
    ("stack", "owner"),
    [
        # the innermost package frame owns the sample, even under stdlib frames
        (f"{LOOP};Handle._run (asyncio/events.py:84);Fetcher.fetch (aiokafka/fetcher.py:9);"
         "Struct.decode (aiokafka/protocol/struct.py:40);loads (json/__init__.py:346)",
         "aiokafka"),
        # the loop's select is waiting, not working
        (f"{LOOP};EpollSelector.select (selectors.py:468)", "waiting"),
        # stdlib inside the loop's turn and no package: the loop's own work
        (f"main (streams/worker.py:9);{LOOP};Handle._run (asyncio/events.py:84)", "event loop"),
        # under uvloop the loop is C, so its innermost Python frame is the runner
        ("main (injector/__main__.py:3);Runner.run (asyncio/runners.py:118)",
         "uvloop (waiting or its own work)"),
        # a module of the project counts under its package
        (f"{LOOP};JoinAgent.process (streams/agents/join.py:90)", "streams"),
        # frames of files outside any package on the path, and nothing else: stdlib
        ("<module> (/opt/x/script.py:1);sleep (time:0)", "stdlib"),
    ],
)  # fmt: skip
def test_each_sample_belongs_to_its_innermost_package(stack: str, owner: str) -> None:
    """The owner is the innermost non-stdlib package, or what the loop was doing."""
    assert top([f"{stack} 3"]) == {owner: 1.0}


def test_shares_are_weighted_by_sample_counts_and_sorted() -> None:
    """Counts add up per owner; the busiest owner comes first."""
    lines = [
        f"{LOOP};EpollSelector.select (selectors.py:468) 1",
        f"{LOOP};send (aiokafka/conn.py:5) 2",
        f"{LOOP};decide (streams/batch.py:7) 1",
        "",
        "not a sample line",
    ]
    shares = top(lines)
    assert shares == {"aiokafka": 0.5, "waiting": 0.25, "streams": 0.25}
    assert next(iter(shares)) == "aiokafka"


def test_no_samples_give_no_shares() -> None:
    """An empty profile (the process was idle or gone) is an empty dict, not a division error."""
    assert top([]) == {}
