"""The one way devkit runs callstream as processes: launch, signal, restart and measure them.

``Stack`` starts any set of services (``Service``: an argv, an environment,
the port its HTTP server listens on and how to tell it is ready), each in a
session of its own with its output in its own log file. It kills them
(SIGKILL) or stops them (SIGTERM) by name, restarts them with the same
command line and port, adds more instances, and measures them: resident
memory, CPU time, and Prometheus metrics by name. Ports are chosen by the
launcher and passed in (``--port``, ``--ops-port``), never read from a log.
``services`` builds the ``Service`` of each callstream command.
"""

from devkit.stack.metrics import sum_samples
from devkit.stack.ports import free_port, port_in_use
from devkit.stack.running import Running, Service
from devkit.stack.stack import Stack

__all__ = ["Running", "Service", "Stack", "free_port", "port_in_use", "sum_samples"]
