"""The configuration ``callstream dev`` hands its services."""

from __future__ import annotations

from callstream.config import parse_config
from devkit.dev.config import demo_config
from devkit.dev.pipeline import DevPorts, stack_config


def test_demo_backends_move_to_the_stack_port_and_ports_are_filled_in() -> None:
    """Demo tool backends follow the backends port; service ports come from the stack."""
    ports = DevPorts(ingress=1, streams_ops=2, injector_ops=3, emulator=4, backends=5)
    config = stack_config(demo_config(), ports)
    backend = config.tools["lookup_order_status"].backend
    assert backend is not None
    assert str(backend.url) == "http://127.0.0.1:5/orders"
    assert (config.ingress.port, config.streams.ops_port, config.injector.ops_port) == (1, 2, 3)


def test_other_backends_are_left_alone() -> None:
    """A customer's own backend URL is never rewritten."""
    config = parse_config(
        "tools:\n  t:\n    backend: {url: 'https://orders.example.com/lookup'}\n", origin="t"
    )
    backend = stack_config(config, DevPorts()).tools["t"].backend
    assert backend is not None
    assert str(backend.url) == "https://orders.example.com/lookup"
