"""The demo backends answer repeatably, after their delay, and refuse missing ids."""

from __future__ import annotations

import httpx

from devkit.dev.backends import Delays, create_backends_app, loyalty_points, order_status


def test_answers_are_repeatable() -> None:
    """The same id always gets the same facts, so the demo's output is stable."""
    assert order_status("ORD-12345") == order_status("ORD-12345")
    assert loyalty_points("C-1001") == loyalty_points("C-1001")
    assert order_status("ORD-12345")["tracking"].startswith("1Z999AA1")


def test_tiers_follow_points() -> None:
    """A balance's tier is the highest whose floor it reaches."""
    for n in range(200):
        facts = loyalty_points(f"C-{n}")
        expected = (
            "Platinum" if facts["points"] >= 5000 else "Gold" if facts["points"] >= 2000
            else "Silver" if facts["points"] >= 1000 else "Bronze"
        )  # fmt: skip
        assert facts["tier"] == expected


async def test_routes_over_asgi() -> None:
    """POST /orders and /loyalty answer with facts; a missing id is a 422."""
    app = create_backends_app(Delays(orders_s=0, loyalty_s=0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        order = await c.post("/orders", json={"order_id": "ORD-1"})
        assert order.status_code == 200
        assert order.json()["order_id"] == "ORD-1"
        points = await c.post("/loyalty", json={"customer_id": "C-1"})
        assert points.json()["customer_id"] == "C-1"
        assert (await c.post("/orders", json={})).status_code == 422
        assert (await c.post("/loyalty", content=b"nope")).status_code == 400
