"""Java and Maven detection, and what the user is told when they are missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.errors import PrerequisiteMissing
from devkit.localkafka.prerequisites import find_java, find_maven, parse_java_major


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "11.0.2" 2019-01-15', 11),
        ("something else entirely", None),
    ],
)
def test_parse_java_major(output: str, major: int | None) -> None:
    """Both the modern and the pre-9 version schemes are read."""
    assert parse_java_major(output) == major


def _fake_executable(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_missing_java_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No java on PATH: the message says what to install or which variable to set."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrerequisiteMissing, match="KAFKA_BOOTSTRAP_SERVERS") as caught:
        find_java(None)
    assert "install a JDK" in str(caught.value)


def test_old_java_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Java 11 is found but refused, naming the version needed."""
    _fake_executable(tmp_path, "java", "echo 'openjdk version \"11.0.2\"' >&2")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrerequisiteMissing, match=r"Java 11.*needs Java 17\+"):
        find_java(None)


def test_java_home_is_preferred(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$JAVA_HOME/bin/java wins over PATH."""
    (tmp_path / "jdk" / "bin").mkdir(parents=True)
    _fake_executable(tmp_path / "jdk" / "bin", "java", "echo 'openjdk version \"21\"' >&2")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    java = find_java(tmp_path / "jdk")
    assert java.major == 21
    assert java.executable == str(tmp_path / "jdk" / "bin" / "java")


def test_missing_maven_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No mvn on PATH: one message naming Maven and the alternative."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrerequisiteMissing, match=r"Maven.*KAFKA_BOOTSTRAP_SERVERS"):
        find_maven()
