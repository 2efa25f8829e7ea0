"""Known-vulnerability audit of the pinned dependencies, as ``make test`` runs it.

Runs ``pip-audit`` over ``constraints.txt`` (PyPI's advisory data, per pinned
release) and decides:

- a known vulnerability in a pin fails the audit, unless its id is listed in
  ``audit-exceptions.txt`` with a written reason (``ID  # why it is safe``);
- pins pip-audit could not look up are named; when it could look up none at
  all, the advisory service is unreachable from this machine, and the run says
  so in a banner. That is a failure when ``CALLSTREAM_AUDIT_REQUIRED=1``
  (set it where the network allows the audit), and a loud warning otherwise,
  because a sandbox without PyPI's JSON API must still be able to run the tests.

It never edits a pin: fixing one is ``make lock`` after raising the range.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXCEPTIONS = ROOT / "audit-exceptions.txt"


@dataclass(frozen=True)
class Verdict:
    """What the audit found, decided from pip-audit's JSON report (pure)."""

    vulnerable: list[str]
    excused: list[str]
    unaudited: list[str]
    audited: int

    @property
    def unreachable(self) -> bool:
        """Nothing could be looked up: the advisory service did not answer."""
        return self.audited == 0 and bool(self.unaudited)


def read_exceptions(text: str) -> dict[str, str]:
    """``ID  # reason`` lines; a line without a reason is an error, not an exception."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        vuln_id, _, reason = line.partition("#")
        if not reason.strip():
            raise ValueError(f"audit-exceptions.txt line {number}: {vuln_id.strip()} has no reason")
        found[vuln_id.strip()] = reason.strip()
    return found


def judge(report: dict[str, object], exceptions: dict[str, str]) -> Verdict:
    """Sort every dependency of the report into vulnerable, excused, unaudited or clean."""
    vulnerable: list[str] = []
    excused: list[str] = []
    unaudited: list[str] = []
    audited = 0
    dependencies = report.get("dependencies", [])
    if not isinstance(dependencies, list):
        raise TypeError("pip-audit's report has no list of dependencies")
    for dep in dependencies:
        name = f"{dep['name']} {dep.get('version', '')}".strip()
        if "skip_reason" in dep:
            unaudited.append(name)
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            line = (
                f"{name}: {vuln['id']} (fixed in {', '.join(vuln.get('fix_versions', [])) or '-'})"
            )
            (excused if vuln["id"] in exceptions else vulnerable).append(line)
    return Verdict(vulnerable, excused, unaudited, audited)


def main() -> int:
    """Run pip-audit, print the verdict, and return the exit status."""
    exceptions = read_exceptions(EXCEPTIONS.read_text()) if EXCEPTIONS.exists() else {}
    command = [sys.executable, "-m", "pip_audit", "-r", str(ROOT / "constraints.txt")]
    done = subprocess.run(
        [*command, "--format", "json", "--progress-spinner", "off"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(done.stderr, file=sys.stderr)
        print("audit: pip-audit produced no report (see above)", file=sys.stderr)
        return 1
    verdict = judge(report, exceptions)
    for line in verdict.excused:
        print(f"audit: excused by audit-exceptions.txt: {line}")
    for line in verdict.vulnerable:
        print(f"audit: VULNERABLE: {line}", file=sys.stderr)
    if verdict.unreachable:
        required = os.environ.get("CALLSTREAM_AUDIT_REQUIRED") == "1"
        banner = "=" * 78
        print(
            f"{banner}\naudit: NOT RUN: PyPI's advisory data could not be read for any of the "
            f"{len(verdict.unaudited)} pins\n(this network serves package files but not "
            f"pypi.org/pypi/<name>/<version>/json).\nRun `make audit` where it can, or set "
            f"CALLSTREAM_AUDIT_REQUIRED=1 to make this a failure.\n{banner}",
            file=sys.stderr,
        )
        return 1 if required else 0
    if verdict.unaudited:
        print(f"audit: could not look up: {', '.join(verdict.unaudited)}", file=sys.stderr)
    print(f"audit: {verdict.audited} pins audited, {len(verdict.vulnerable)} vulnerable")
    return 1 if verdict.vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
