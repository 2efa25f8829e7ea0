"""What ``pip install callstream`` gets: the runtime packages, and nothing of the workshop.

The wheel is built as ``pip wheel --no-deps .`` builds it, from a copy of
this tree (devkit included, so leaving it out is the packaging's doing, and
no stale ``build/`` of an earlier run can slip in), without build isolation
so the pinned setuptools is used and no index is needed. The production image
installs the same ``.`` (``test_dockerfile.py`` checks no stage of it adds more).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = {"callstream", "callstream_cli", "ingress", "streams", "injector", "console"}
WORKSHOP_WORDS = ("devkit", "emulator", "chaos", "demo", "localkafka", "testing/broker")
WORKSHOP_DISTRIBUTIONS = {"psutil", "telnyx", "callstream-devkit"}
# Not in a clean clone: local caches and build output.
LEFT_BEHIND = (
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
    "results", "chaos-results",
)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    tree = tmp_path_factory.mktemp("tree") / "callstream"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*LEFT_BEHIND))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(out), "."],
        cwd=tree,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    [built] = out.glob("callstream-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_the_runtime_packages_only(wheel: zipfile.ZipFile) -> None:
    """Top-level packages are the ground floor, the CLI and the four services."""
    names = wheel.namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == SHIPPED
    assert "callstream/config/default.yaml" in names
    assert {"console/templates/call.html", "console/static/console.js"} <= set(names)


def test_the_wheel_holds_no_workshop_code(wheel: zipfile.ZipFile) -> None:
    """No devkit, emulator, fault suite, demo or local broker file is shipped."""
    found = [name for name in wheel.namelist() if any(word in name for word in WORKSHOP_WORDS)]
    assert not found, found


def test_the_wheel_requires_no_workshop_distribution(wheel: zipfile.ZipFile) -> None:
    """Neither psutil nor telnyx (nor devkit) is a requirement, not even of an extra."""
    [metadata] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = Parser().parsestr(wheel.read(metadata).decode()).get_all("Requires-Dist") or []
    assert requires, "the metadata lists the runtime requirements"
    names = {req.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip()
             for req in requires}  # fmt: skip
    assert not names & WORKSHOP_DISTRIBUTIONS, sorted(names & WORKSHOP_DISTRIBUTIONS)
    assert {"confluent-kafka", "fastapi"} <= names
