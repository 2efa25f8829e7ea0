"""Demo backends for the reference scenario: an order-status and a loyalty service.

They stand in for a customer's slow systems (the reference's 10-20 s lookups,
scaled down to ~1-2 s by default). Answers are derived from the request
(a hash of the id), so the demo is repeatable without a database. They take
the tool's arguments as a JSON object and answer with the facts as JSON; a
missing id is a 422, which the tool runner reports as an honest error.

Run alone with ``python -m devkit.dev.backends --port 8100``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_STATUSES = ("PROCESSING", "SHIPPED", "OUT_FOR_DELIVERY", "DELIVERED")
_TIERS = ((0, "Bronze"), (1000, "Silver"), (2000, "Gold"), (5000, "Platinum"))


@dataclass(frozen=True)
class Delays:
    """How long each lookup takes, in seconds."""

    orders_s: float = 2.0
    loyalty_s: float = 1.0
    warranty_s: float = 3.0
    """Slow enough that the demo's caller hangs up before it answers (a follow-up SMS)."""


def _number(text: str, modulo: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % modulo


def order_status(order_id: str) -> dict[str, Any]:
    """The (repeatable) status of ``order_id``."""
    status = _STATUSES[_number(order_id, len(_STATUSES))]
    return {
        "order_id": order_id,
        "status": status,
        "tracking": f"1Z999AA1{_number(order_id + 't', 10**10):010d}",
        "estimated_delivery": "delivered" if status == "DELIVERED" else "tomorrow",
    }


def loyalty_points(customer_id: str) -> dict[str, Any]:
    """The (repeatable) loyalty balance of ``customer_id``."""
    points = 500 + _number(customer_id, 6000)
    tier = [name for floor, name in _TIERS if points >= floor][-1]
    return {
        "customer_id": customer_id,
        "points": points,
        "tier": tier,
        "reward_usd": points // 100,
    }


async def _argument(request: Request, name: str) -> str | JSONResponse:
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"error": "body must be JSON"}, status_code=400)
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str | int) or not str(value).strip():
        return JSONResponse({"error": f"{name} is required"}, status_code=422)
    return str(value).strip()


def warranty_status(serial: str) -> dict[str, Any]:
    """The (repeatable) warranty of the product with ``serial``."""
    months = 1 + _number(serial, 24)
    return {"serial": serial, "covered": True, "months_left": months, "repair": "free pickup"}


def create_backends_app(delays: Delays) -> Starlette:
    """The demo services on one ASGI app: ``POST /orders``, ``/loyalty`` and ``/warranty``."""

    async def orders(request: Request) -> JSONResponse:
        order_id = await _argument(request, "order_id")
        if isinstance(order_id, JSONResponse):
            return order_id
        await asyncio.sleep(delays.orders_s)  # the slow lookup this service stands in for
        return JSONResponse(order_status(order_id))

    async def loyalty(request: Request) -> JSONResponse:
        customer_id = await _argument(request, "customer_id")
        if isinstance(customer_id, JSONResponse):
            return customer_id
        await asyncio.sleep(delays.loyalty_s)
        return JSONResponse(loyalty_points(customer_id))

    async def warranty(request: Request) -> JSONResponse:
        serial = await _argument(request, "serial")
        if isinstance(serial, JSONResponse):
            return serial
        await asyncio.sleep(delays.warranty_s)
        return JSONResponse(warranty_status(serial))

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/orders", orders, methods=["POST"]),
            Route("/loyalty", loyalty, methods=["POST"]),
            Route("/warranty", warranty, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", healthz, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Serve the demo backends (used by ``callstream dev`` and the compose ``dev`` profile)."""
    parser = argparse.ArgumentParser(prog="python -m devkit.dev.backends")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--orders-delay", type=float, default=Delays.orders_s)
    parser.add_argument("--loyalty-delay", type=float, default=Delays.loyalty_s)
    args = parser.parse_args(argv)
    app = create_backends_app(Delays(orders_s=args.orders_delay, loyalty_s=args.loyalty_delay))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
