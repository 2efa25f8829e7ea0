"""The broker's jars, resolved once through Maven into a cache outside the repository.

The cache folder is named after the Kafka version and a digest of the pom, so
changing the pom fetches a fresh set and an unchanged pom never runs Maven
again: the second start is offline.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from devkit.errors import LocalKafkaError
from devkit.localkafka.prerequisites import find_maven

_VERSION = re.compile(r"<kafka\.version>([^<]+)</kafka\.version>")
_COMPLETE = ".complete"
MAVEN_TIMEOUT_S = 900
PROGRESS_EVERY_S = 3.0  # how often a first fetch says how far it has got

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def packaged_pom() -> str:
    """The text of the pom shipped with callstream."""
    return resources.files("devkit.localkafka").joinpath("pom.xml").read_text()


@dataclass(frozen=True)
class JarCache:
    """Where the broker's jars live, and how to get them there."""

    root: Path
    pom_text: str

    @classmethod
    def default(cls, root: Path) -> JarCache:
        return cls(root=root, pom_text=packaged_pom())

    @property
    def kafka_version(self) -> str:
        match = _VERSION.search(self.pom_text)
        if not match:
            raise LocalKafkaError("the broker pom does not declare <kafka.version>")
        return match.group(1)

    @property
    def libs(self) -> Path:
        digest = hashlib.sha256(self.pom_text.encode()).hexdigest()[:12]
        return self.root / f"kafka-{self.kafka_version}-{digest}" / "libs"

    def is_ready(self) -> bool:
        return (self.libs / _COMPLETE).is_file()

    def ensure(self, progress: Progress = _quiet) -> Path:
        """Return the jar folder, running Maven first if it is not cached yet."""
        if self.is_ready():
            return self.libs
        mvn = find_maven()
        target = self.libs
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        pom = staging.parent / "pom.xml"
        pom.write_text(self.pom_text)
        progress(
            f"Fetching Apache Kafka {self.kafka_version} jars from Maven Central into "
            f"{target} (first run only, about 45 MB)..."
        )
        started = time.monotonic()
        command = [
            mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(pom),
            "dependency:copy-dependencies", f"-DoutputDirectory={staging}",
        ]  # fmt: skip
        output = staging.parent / "maven.log"
        with output.open("w") as log:
            maven = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            code = _wait_counting_jars(maven, staging, started, progress)
        if code is None:
            maven.kill()
            maven.wait()
            raise LocalKafkaError(
                f"Maven did not finish fetching the Kafka jars within {MAVEN_TIMEOUT_S} s"
            )
        if code != 0:
            tail = "\n".join(output.read_text().strip().splitlines()[-30:])
            raise LocalKafkaError(
                "Maven could not fetch the Kafka jars (Maven Central must be reachable on the "
                f"first run):\n{tail}"
            )
        output.unlink(missing_ok=True)
        if not any(staging.glob("kafka_2.13-*.jar")):
            raise LocalKafkaError(f"Maven finished but no kafka_2.13 jar landed in {staging}")
        (staging / _COMPLETE).write_text(self.kafka_version + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        progress(
            f"Fetched {sum(1 for _ in target.glob('*.jar'))} jars in "
            f"{time.monotonic() - started:.1f} s."
        )
        return target


def _wait_counting_jars(
    maven: subprocess.Popen[bytes], staging: Path, started: float, progress: Progress
) -> int | None:
    """Maven's exit status, saying every few seconds how many jars have landed (Maven itself
    is quiet for most of a minute); None if it runs past ``MAVEN_TIMEOUT_S``."""
    reported = 0
    while time.monotonic() - started < MAVEN_TIMEOUT_S:
        try:
            return maven.wait(timeout=PROGRESS_EVERY_S)
        except subprocess.TimeoutExpired:
            landed = sum(1 for _ in staging.glob("*.jar"))
            if landed != reported:
                progress(f"  {landed} jars so far ({time.monotonic() - started:.0f} s)")
                reported = landed
    return None
