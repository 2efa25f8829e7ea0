"""Part 5: CPU seconds per 1,000 delivered messages, for each process (pure).

Read from a pipeline step's CPU ledger (user + system time of each process,
its children included, from the step's start until its last message arrived
or the wait ended), so it includes what the services spend idling during the
step (heartbeats, ticks) as a real deployment would. The remote (the
emulator), the demo backends and the broker are listed apart from
callstream's own services.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devkit.stats import per_thousand

SERVICES = ("ingress", "streams", "injector")
OTHERS = ("broker", "emulator")


def cost(step: Mapping[str, Any]) -> dict[str, Any]:
    """The cost model of one pipeline step (a ``StepResult`` as a dict)."""
    cpu = step["cpu_s"]
    delivered = int(step["delivered"])
    per = {name: per_thousand(cpu.get(name, 0.0), delivered) for name in SERVICES}
    own = sum(cpu.get(name, 0.0) for name in SERVICES)
    per["callstream (all three)"] = per_thousand(own, delivered)
    for name in OTHERS:
        if name in cpu:
            per[f"{name} (not callstream)"] = per_thousand(cpu[name], delivered)
    return {
        "rate": step["rate"],
        "delivered": delivered,
        "wall_s": cpu.get("wall_s"),
        "cpu_s": {k: v for k, v in cpu.items() if not k.endswith("_s")},
        "per_1000": per,
    }
