"""Ports on loopback: a free one for the launcher to hand out, and whether one is taken."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    """Whether something already listens on ``port`` on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As a server binds (the JVM and uvicorn set it too): connections of a
        # process that just exited linger in TIME_WAIT for a minute and hold the
        # port for a plain bind, but nothing listens there; a restart on the same
        # port must be allowed.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def accepts(port: int) -> bool:
    """Whether something accepts connections on ``port`` on 127.0.0.1 right now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False
