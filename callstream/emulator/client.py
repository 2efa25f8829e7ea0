"""``EmulatorControl``: a synchronous client of the emulator's control API (tests, benchmarks)."""

from __future__ import annotations

from typing import Any

import httpx

from callstream.emulator.faults import Faults


class EmulatorControl:
    """Start and hang up calls, read transcripts, set faults — over real HTTP."""

    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/") + "/_emulator", timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def _ok(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json() if response.content else None

    def start_call(self, call_control_id: str | None = None) -> str:
        body = {"call_control_id": call_control_id} if call_control_id else {}
        started: dict[str, Any] = self._ok(self._http.post("/calls", json=body))
        return str(started["call_control_id"])

    def hang_up(self, call_control_id: str) -> None:
        self._ok(self._http.post(f"/calls/{call_control_id}/hangup"))

    def transcript(self, call_control_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._ok(self._http.get(f"/calls/{call_control_id}"))
        return found

    def calls(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._ok(self._http.get("/calls"))["calls"]
        return found

    def clear_calls(self) -> None:
        self._ok(self._http.delete("/calls"))

    def set_faults(self, faults: Faults) -> dict[str, Any]:
        found: dict[str, Any] = self._ok(
            self._http.put("/faults", json=faults.model_dump(mode="json"))
        )
        return found

    def clear_faults(self) -> None:
        self._ok(self._http.delete("/faults"))

    def fault_hits(self) -> list[int]:
        return list(self._ok(self._http.get("/faults"))["hits"])

    def stats(self) -> dict[str, int]:
        counters: dict[str, int] = self._ok(self._http.get("/stats"))["counters"]
        return counters
