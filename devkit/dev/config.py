"""The configuration the local pipeline runs with: the packaged demo's, optionally under a prefix.

``demo_config`` is what ``callstream dev`` and ``callstream demo`` run when
``CALLSTREAM_CONFIG`` is unset (``demo.yaml`` beside this module: the
reference scenario's two tools on the demo backends, the three sources).
"""

from __future__ import annotations

from importlib import resources

from callstream.config import AppConfig, parse_config


def demo_config() -> AppConfig:
    """The packaged demo configuration (the reference scenario's tools on the demo backends)."""
    text = resources.files("devkit.dev").joinpath("demo.yaml").read_text()
    return parse_config(text, origin="demo config")
