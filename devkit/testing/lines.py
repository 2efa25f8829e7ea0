"""Reading what a process prints, line by line, without hanging on a buffered pipe."""

from __future__ import annotations

import queue
import re
import subprocess
import threading
import time
from typing import IO


def wait_for_line(
    process: subprocess.Popen[str], pattern: re.Pattern[str], *, timeout_s: float
) -> re.Match[str]:
    """The first line ``process`` prints on stdout that matches ``pattern``.

    Reads in a thread: polling the pipe with select misses lines that the text
    wrapper has already buffered, which hangs when two lines arrive together.
    """
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump(stream: IO[str]) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, args=(process.stdout,), daemon=True).start()
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            raise AssertionError(f"exited with {process.wait()} before printing it: {seen}")
        seen.append(line)
        if match := pattern.search(line):
            return match
    raise AssertionError(f"no line matching {pattern.pattern!r} in {timeout_s:g} s: {seen}")
