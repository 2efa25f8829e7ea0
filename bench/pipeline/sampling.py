"""Where a step's CPU goes: py-spy attached to the services' processes while the step runs.

``python -m bench latency --profile streams injector`` samples each named
service (every instance of it) during each reported pipeline step and writes
py-spy's collapsed stacks (``--format raw``: one stack and its sample count a
line, what flamegraph tools read) beside the results, plus ``top`` for a quick
look: the share of samples whose innermost library frame is each package.
Sampling costs the machine a little CPU, so a profiled run's figures are not
the ones to report. It never changes how a service starts.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

RATE_HZ = 50
FRAME = re.compile(r"^(?P<name>.*) \((?P<path>[^():]*)(?::\d+)?\)$")
WAITING = "selectors.py"
"""A frame of the event loop's ``select``: the loop waiting, not working."""
LOOP = "BaseEventLoop._run_once"
"""The event loop's turn: stdlib frames inside it and no package's are the loop's own work."""
RUNNER = "Runner.run"
"""Innermost under uvloop, whose loop is C: its waiting and its own work look alike."""


def py_spy() -> str:
    """The py-spy executable beside this interpreter (the bench extra installs it)."""
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy is not installed: make install (it is in the bench extra)")
    return found


@contextlib.contextmanager
def sampling(
    pids: Mapping[str, Sequence[int]], out: Path, duration_s: float
) -> Iterator[dict[str, Path]]:
    """Sample every pid of ``pids`` (service -> pids) for ``duration_s`` while the block runs;
    yields the raw output file of each ``<service>-<n>``, complete once the block has left."""
    files: dict[str, Path] = {}
    if any(pids.values()):
        out.mkdir(parents=True, exist_ok=True)
    running: list[subprocess.Popen[bytes]] = []
    for service, numbers in pids.items():
        for n, pid in enumerate(numbers, start=1):
            name = f"{service}-{n}"
            files[name] = out / f"{name}.txt"
            argv = [py_spy(), "record", "--pid", str(pid), "--rate", str(RATE_HZ)]
            argv += ["--duration", str(max(1, round(duration_s))), "--nonblocking"]
            argv += ["--format", "raw", "-o", str(files[name])]
            running.append(
                subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
    try:
        yield files
    finally:
        for process in running:
            try:
                process.wait(timeout=duration_s + 60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


STDLIB = frozenset(sys.stdlib_module_names)


def top(lines: Iterable[str], stdlib: frozenset[str] = STDLIB) -> dict[str, float]:
    """Share of samples by the package of each stack's innermost non-stdlib frame (pure):
    ``waiting`` for the event loop's select, ``event loop`` for the loop's own work (no
    package frame inside its turn), ``stdlib`` when no package frame is on the stack."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        counts[_owner(frames, stdlib)] += int(count)
    total = sum(counts.values())
    return {k: round(v / total, 3) for k, v in counts.most_common()} if total else {}


def _owner(frames: Sequence[str], stdlib: frozenset[str]) -> str:
    if WAITING in frames[-1]:
        return "waiting"
    if frames[-1].startswith(RUNNER + " "):
        return "uvloop (waiting or its own work)"
    for frame in reversed(frames):
        found = FRAME.match(frame)
        name, path = (found.group("name"), found.group("path")) if found else (frame, "")
        if name == LOOP:
            return "event loop"
        package = path.split("/")[0].removesuffix(".py")
        if not package or path.startswith(("/", "<")) or package in stdlib:
            continue
        return package
    return "stdlib"
