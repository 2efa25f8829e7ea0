"""Finding Java 17+ and Maven, with one clear message when either is missing."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devkit.errors import PrerequisiteMissing

MIN_JAVA = 17

_ALTERNATIVE = "or set KAFKA_BOOTSTRAP_SERVERS to use an existing Kafka cluster instead"
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


@dataclass(frozen=True)
class Java:
    """A Java runtime good enough for the broker."""

    executable: str
    major: int


def parse_java_major(version_output: str) -> int | None:
    """The major version in ``java -version`` output (``1.8.0`` → 8, ``17.0.15`` → 17)."""
    match = _VERSION.search(version_output)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):  # the pre-9 "1.x" scheme
        return int(match.group(2))
    return major


def find_java(java_home: Path | None = None) -> Java:
    """The ``java`` to run the broker with: ``$JAVA_HOME/bin/java`` first, then ``PATH``."""
    candidate = java_home / "bin" / "java" if java_home else None
    executable = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if executable is None:
        raise PrerequisiteMissing(
            f"Java {MIN_JAVA}+ is needed to run the local Kafka broker and none was found: "
            f"install a JDK or JRE {MIN_JAVA}+ (e.g. `apt install openjdk-17-jre-headless`), "
            + _ALTERNATIVE
        )
    try:
        out = subprocess.run(
            [executable, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrerequisiteMissing(f"{executable} -version failed ({exc}); " + _ALTERNATIVE) from exc
    major = parse_java_major(out.stderr + out.stdout)
    if major is None or major < MIN_JAVA:
        found = f"Java {major}" if major else "an unrecognised Java"
        raise PrerequisiteMissing(
            f"{executable} is {found}; the Kafka 4 broker needs Java {MIN_JAVA}+: "
            "install a newer JDK (or point JAVA_HOME at one), " + _ALTERNATIVE
        )
    return Java(executable=executable, major=major)


def find_maven() -> str:
    """The ``mvn`` executable, needed once to fetch the broker's jars."""
    executable = shutil.which("mvn")
    if executable is None:
        raise PrerequisiteMissing(
            "Maven is needed once, to fetch the Kafka broker's jars from Maven Central, and "
            "`mvn` was not found: install it (e.g. `apt install maven`), " + _ALTERNATIVE
        )
    return executable
