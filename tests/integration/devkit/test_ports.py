"""``port_in_use`` tells a listening port from one held only by closed connections."""

from __future__ import annotations

import socket

from devkit.stack.ports import free_port, port_in_use


def test_a_listening_port_is_in_use() -> None:
    """Something listening there: in use."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert port_in_use(server.getsockname()[1])


def test_a_port_held_only_in_time_wait_is_free_for_a_restart() -> None:
    """A server that closed its connections first leaves TIME_WAIT behind; a restart may bind."""
    port = free_port()
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server side closes first: its end goes to TIME_WAIT
            client.recv(1)  # the client sees the close
    assert not port_in_use(port)
