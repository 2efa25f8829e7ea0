"""The ``Service`` of each callstream command, its port chosen here and passed on its command line.

Every builder takes the environment the process runs with (Kafka, topic
prefix, config file, secrets) and, optionally, the port; without one it picks
a free port. The services run as ``python -m callstream_cli <command>``, the
same code as the ``callstream`` script.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Mapping, Sequence

from devkit.stack.ports import free_port
from devkit.stack.running import Service

CALLSTREAM = (sys.executable, "-m", "callstream_cli")
_SIGINT = signal.SIGINT  # pyinstrument writes its report on SIGINT


def streams(
    env: Mapping[str, str],
    *,
    name: str = "streams",
    worker_id: str | None = None,
    port: int | None = None,
) -> Service:
    """A streams worker under ``worker_id`` (by default its name): started again under the
    same id, it takes its partitions back without a rebalance (static membership)."""
    port = port or free_port()
    argv = [*CALLSTREAM, "streams", "--ops-port", str(port), "--worker-id", worker_id or name]
    return Service(name, argv, env, port, kind="streams")


def injector(env: Mapping[str, str], *, name: str = "injector", port: int | None = None) -> Service:
    """An injector."""
    port = port or free_port()
    argv = [*CALLSTREAM, "injector", "--ops-port", str(port)]
    return Service(name, argv, env, port, kind="injector")


def ingress(
    env: Mapping[str, str],
    *,
    name: str = "ingress",
    port: int | None = None,
    workers: int | None = None,
    wrap: Sequence[str] = (),
) -> Service:
    """The ingress; ``wrap`` runs it under another program (a profiler: its argv before
    ``-m``, e.g. ``python -m pyinstrument ...``), which is then stopped with SIGINT."""
    port = port or free_port()
    argv = [*CALLSTREAM, "ingress", "--port", str(port)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    if wrap:
        return Service(name, [*wrap, *argv[1:]], env, port, kind="ingress", stop_signal=_SIGINT)
    return Service(name, argv, env, port, kind="ingress")


def console(env: Mapping[str, str], *, name: str = "console", port: int | None = None) -> Service:
    """The console (``CALLSTREAM_CONSOLE_TOKEN`` in ``env``); ready once it has read the topics."""
    port = port or free_port()
    argv = [*CALLSTREAM, "console", "--port", str(port)]
    return Service(name, argv, env, port, kind="console")


def emulator(
    env: Mapping[str, str],
    *,
    name: str = "emulator",
    port: int | None = None,
    ingress_url: str | None = None,
    latency_ms: float = 0.0,
) -> Service:
    """The call-control emulator (``TELNYX_API_KEY`` in ``env``); it plays the platform
    towards ``ingress_url``, or answers Add Messages only when that is None."""
    port = port or free_port()
    argv = [*CALLSTREAM, "emulator", "--port", str(port)]
    argv += ["--ingress-url", ingress_url] if ingress_url else ["--no-ingress"]
    if latency_ms:
        argv += ["--latency-ms", str(latency_ms)]
    return Service(name, argv, env, port, ready_path="/_emulator/info", kind="emulator")


def backends(
    env: Mapping[str, str],
    *,
    name: str = "backends",
    port: int | None = None,
    orders_delay_s: float = 2.0,
    loyalty_delay_s: float = 1.0,
) -> Service:
    """The demo backends (orders, loyalty) the demo configuration's tools call."""
    port = port or free_port()
    argv = [sys.executable, "-m", "devkit.dev.backends", "--port", str(port)]
    argv += ["--orders-delay", str(orders_delay_s), "--loyalty-delay", str(loyalty_delay_s)]
    return Service(name, argv, env, port, kind="backends")
