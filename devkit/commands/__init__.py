"""The development commands of the ``callstream`` CLI: dev, demo, emulator and kafka.

``callstream_cli`` adds ``COMMANDS`` where devkit is installed, and maps
``USAGE_ERRORS`` to exit status 2 (fix the set-up and run again).
"""

from __future__ import annotations

import click

from devkit.commands.demo import demo
from devkit.commands.dev import dev
from devkit.commands.emulator import emulator
from devkit.commands.kafka import kafka
from devkit.errors import PrerequisiteMissing

COMMANDS: tuple[click.Command, ...] = (demo, dev, emulator, kafka)
USAGE_ERRORS: tuple[type[Exception], ...] = (PrerequisiteMissing,)
