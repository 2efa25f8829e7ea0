"""The dependency audit's verdict from pip-audit's report, and its written exceptions."""

from __future__ import annotations

import pytest

from tools.audit import judge, read_exceptions

CLEAN = {"name": "httpx", "version": "0.28.1", "vulns": []}
VULNERABLE = {
    "name": "jinja2",
    "version": "3.1.0",
    "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
}
SKIPPED = {"name": "telnyx", "skip_reason": "Dependency not found on PyPI and could not be audited"}


def test_a_known_vulnerability_is_named_with_its_fix() -> None:
    """A vulnerable pin is reported with the advisory id and the fixed versions."""
    verdict = judge({"dependencies": [CLEAN, VULNERABLE]}, {})
    assert verdict.vulnerable == ["jinja2 3.1.0: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)"]
    assert (verdict.audited, verdict.unreachable) == (2, False)


def test_a_written_exception_excuses_only_its_own_id() -> None:
    """An id listed with a reason is excused; nothing else is."""
    verdict = judge({"dependencies": [VULNERABLE]}, {"GHSA-h5c8-rqwp-cp95": "not reachable"})
    assert verdict.vulnerable == []
    assert len(verdict.excused) == 1


@pytest.mark.parametrize(
    ("dependencies", "unreachable"),
    [([SKIPPED, SKIPPED], True), ([SKIPPED, CLEAN], False), ([], False)],
)
def test_unreachable_means_nothing_could_be_looked_up(
    dependencies: list[dict[str, object]], unreachable: bool
) -> None:
    """Only when every pin was skipped is the advisory service called unreachable."""
    assert judge({"dependencies": dependencies}, {}).unreachable is unreachable


def test_exceptions_need_a_reason() -> None:
    """``ID  # reason`` lines are read; an id without a reason is refused, naming its line."""
    assert read_exceptions("# header\n\nPYSEC-1  # only in a test extra\n") == {
        "PYSEC-1": "only in a test extra"
    }
    with pytest.raises(ValueError, match="line 2: PYSEC-2 has no reason"):
        read_exceptions("PYSEC-1 # fine\nPYSEC-2\n")
