"""The OpenTelemetry Collector the tracing tests export to, built from the Go module proxy.

``make otelcol`` (``python -m devkit.otelcol``) builds it once per machine:
``go install`` fetches the collector's own builder at ``VERSION``, which
compiles a collector with only what the tests need (the OTLP receiver and
the file exporter, ``MANIFEST``) into ``~/.cache/callstream/otelcol/VERSION``.
It takes a few minutes the first time (about ten on a busy two-core machine);
afterwards the cached binary is used as is. Go 1.26 or newer must be installed;
nothing else is downloaded but modules from the Go module proxy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from callstream.paths import default_cache_dir
from devkit.errors import PrerequisiteMissing

VERSION = "v0.165.0"
NAME = "otelcol-callstream"
BUILD_TIMEOUT_S = 40 * 60

MANIFEST = f"""\
dist:
  name: {NAME}
  description: OpenTelemetry Collector for callstream's tracing tests
  output_path: {{output}}
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver {VERSION}
exporters:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter {VERSION}
"""


def home(cache_dir: Path | None = None) -> Path:
    """Where this version's collector is built."""
    return (cache_dir or default_cache_dir()) / "otelcol" / VERSION


def binary(cache_dir: Path | None = None) -> Path:
    """The collector's executable (it exists once ``build`` succeeded)."""
    return home(cache_dir) / "dist" / NAME


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def build(cache_dir: Path | None = None, *, say: Callable[[str], None] = _say) -> Path:
    """Build the collector unless it is already built; its executable.

    ``PrerequisiteMissing`` when Go is not installed or the build fails.
    """
    target = binary(cache_dir)
    if target.exists():
        return target
    go = shutil.which("go")
    if go is None:
        raise PrerequisiteMissing(
            "Go is not installed: the tracing test's OpenTelemetry Collector is built with it "
            "(install Go 1.26 or newer from go.dev/dl)"
        )
    root = home(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "manifest.yaml"
    manifest.write_text(MANIFEST.format(output=root / "dist"))
    env = dict(os.environ) | {"GOBIN": str(root / "bin")}
    steps = [
        [go, "install", f"go.opentelemetry.io/collector/cmd/builder@{VERSION}"],
        [str(root / "bin" / "builder"), "--config", str(manifest)],
    ]
    say(f"building the OpenTelemetry Collector {VERSION} into {root} (once; minutes)")
    for step in steps:
        done = subprocess.run(
            step, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise PrerequisiteMissing(f"building the OpenTelemetry Collector failed:\n{tail}")
    if not target.exists():
        raise PrerequisiteMissing(f"the collector's build produced no {target}")
    return target


def main() -> int:
    try:
        path = build()
    except PrerequisiteMissing as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    _say(f"OpenTelemetry Collector {VERSION}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
