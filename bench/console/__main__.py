"""``python -m bench.console``: the console's memory per call, measured (not estimated).

Folds N synthetic calls (``console.testing``: 15 records each, 13 while live — a
webhook, two lookups with results, injections and deliveries, a CRM event, a
supervisor note, a hangup and a dead letter) into a ``Board`` through the same pure fold
the console runs, and measures the Python heap with ``tracemalloc`` before and
after: bytes per call, for live calls and for ended ones. The floor beside it
is what the topics hold for the same call (the records' value and header
bytes): the ratio says how much bigger the view is than the data it shows.

No Kafka, no HTTP: the console's memory is its board. Writes JSON to
``bench/results/`` with ``--write``.
"""

from __future__ import annotations

import argparse
import gc
import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callstream.config import ConsoleConfig
from callstream.records import FieldMap
from console.testing import Recorder, call_records
from console.view.board import Board
from console.view.fold import RawRecord, Rules, fold

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _record_bytes(records: list[RawRecord]) -> int:
    total = 0
    for raw in records:
        total += len(raw.value or b"")
        total += sum(len(name) + len(value or b"") for name, value in raw.headers)
    return total


def measure(calls: int, *, ended: bool) -> dict[str, Any]:
    """Heap growth of a board folding ``calls`` calls, per call, beside their record bytes."""
    config = ConsoleConfig(max_calls=calls + 1, max_ended_calls=calls + 1)
    rules = Rules(console=config, fields={"crm": FieldMap()})
    recorder = Recorder()
    # Built before measuring: the records are the input, not the view.
    batches = [call_records(recorder, f"v3:bench-{n:07d}", ended=ended) for n in range(calls)]
    floor = sum(_record_bytes(batch) for batch in batches) / calls
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    board = Board(config)
    for batch in batches:
        for raw in batch:
            fold(board, raw, rules)
    gc.collect()
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if len(board.calls) != calls or board.unreadable:
        raise RuntimeError(f"folded {len(board.calls)} of {calls} calls, {board.unreadable} unread")
    per_call = (after - before) / calls
    return {
        "calls": calls,
        "ended": ended,
        "records_per_call": len(batches[0]),
        "entries_per_call": len(next(iter(board.calls.values())).entries),
        "bytes_per_call": round(per_call),
        "record_bytes_per_call": round(floor),
        "ratio_to_records": round(per_call / floor, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__)
    parser.add_argument("--calls", type=int, default=1000, help="calls folded per measurement")
    parser.add_argument("--write", action="store_true", help="also write bench/results/*.json")
    args = parser.parse_args(argv)
    runs = [measure(args.calls, ended=False), measure(args.calls, ended=True)]
    for run in runs:
        state = "ended" if run["ended"] else "live"
        print(
            f"{state:5} calls: {run['bytes_per_call']:,} bytes per call in the view "
            f"({run['entries_per_call']} timeline entries from {run['records_per_call']} "
            f"records); the records themselves: {run['record_bytes_per_call']:,} bytes "
            f"-> {run['ratio_to_records']}x"
        )
    if args.write:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"console-memory-{stamp}.json"
        path.write_text(json.dumps({"runs": runs}, indent=2))
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
