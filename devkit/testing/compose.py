"""Reading ``docker-compose.yml`` as Compose would, without a Docker engine.

``interpolate`` implements the Compose Specification's variable syntax
(``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:?error}``, ``${VAR?error}``, ``$$``) so tests can check what each
service would really receive, with or without a ``.env`` file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``text`` with every variable replaced as Compose replaces it (``ValueError`` for ``?``)."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        is_set, non_empty = name in env, bool(env.get(name))
        if (op in (":-", ":?") and not non_empty) or (op in ("-", "?") and not is_set):
            if op.endswith("?"):
                raise ValueError(f"{name}: {arg or 'required'}")
            return arg
        return env.get(name, "")

    return _VARIABLE.sub(replace, text)


def _walk(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_walk(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _walk(value, env) for key, value in node.items()}
    return node


def load_compose(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """The compose file with YAML anchors merged and variables interpolated from ``env``."""
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    walked: dict[str, Any] = _walk(loaded, env)
    return walked


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values
