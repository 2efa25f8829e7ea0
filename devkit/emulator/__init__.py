"""The call-control emulator: a faithful stand-in for the Add Messages API and the platform.

Importable and real, not a test stub: ``create_app`` is an ASGI app that
checks the bearer key, validates bodies, keeps calls live or ended, dedupes
``command_id`` within the window the real API promises, records a transcript
per call, and injects faults on request. ``EmulatorThread`` serves it (and
``callstream emulator`` as a process); ``EmulatorControl`` drives its control API.
"""

from devkit.emulator.app import DEFAULT_BASE_PATH, create_app
from devkit.emulator.calls import AddMessages, Call, CallBook
from devkit.emulator.client import EmulatorControl
from devkit.emulator.faults import FaultDecision, FaultPlan, FaultRule, Faults
from devkit.emulator.server import (
    EmulatorOptions,
    EmulatorThread,
    build_server,
)

__all__ = [
    "DEFAULT_BASE_PATH",
    "AddMessages",
    "Call",
    "CallBook",
    "EmulatorControl",
    "EmulatorOptions",
    "EmulatorThread",
    "FaultDecision",
    "FaultPlan",
    "FaultRule",
    "Faults",
    "build_server",
    "create_app",
]
