"""``EmulatorControl``: a synchronous client of the emulator's control API (tests, benchmarks)."""

from __future__ import annotations

from typing import Any, Self

import httpx

from devkit.emulator.faults import Faults


class EmulatorControl:
    """Start and hang up calls, read transcripts, set faults — over real HTTP."""

    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/") + "/_emulator", timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _ok(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json() if response.content else None

    def start_call(
        self,
        call_control_id: str | None = None,
        *,
        from_number: str | None = None,
        to_number: str | None = None,
        answer: bool = True,
    ) -> str:
        """Start a call (announced to the ingress when the emulator has one); its id."""
        started = self.start_call_detail(
            call_control_id, from_number=from_number, to_number=to_number, answer=answer
        )
        return str(started["call_control_id"])

    def start_call_detail(
        self,
        call_control_id: str | None = None,
        *,
        from_number: str | None = None,
        to_number: str | None = None,
        answer: bool = True,
    ) -> dict[str, Any]:
        """Start a call; the summary with what the ingress answered to each webhook."""
        body: dict[str, Any] = {"answer": answer}
        if call_control_id:
            body["call_control_id"] = call_control_id
        if from_number:
            body["from"] = from_number
        if to_number:
            body["to"] = to_number
        started: dict[str, Any] = self._ok(self._http.post("/calls", json=body))
        _require_accepted(started.get("webhooks", []))
        return started

    def hang_up(self, call_control_id: str) -> None:
        """Hang up (and announce it); raises if the ingress refused a webhook."""
        ended: dict[str, Any] = self._ok(self._http.post(f"/calls/{call_control_id}/hangup"))
        _require_accepted(ended.get("webhooks", []))

    def send_webhook(
        self, call_control_id: str, event_type: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one signed lifecycle webhook for the call; what the ingress answered."""
        sent: dict[str, Any] = self._ok(
            self._http.post(
                f"/calls/{call_control_id}/webhooks",
                json={"event_type": event_type, "payload": payload or {}},
            )
        )
        return sent

    def fire_tool(
        self, call_control_id: str, tool: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """The assistant fires ``tool``; what the ingress answered (its body has request_id)."""
        sent: dict[str, Any] = self._ok(
            self._http.post(f"/calls/{call_control_id}/tools/{tool}", json=arguments)
        )
        return sent

    def info(self) -> dict[str, Any]:
        """Where the emulator sends, and the public key its webhooks verify with."""
        found: dict[str, Any] = self._ok(self._http.get("/info"))
        return found

    def transcript(self, call_control_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._ok(self._http.get(f"/calls/{call_control_id}"))
        return found

    def calls(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._ok(self._http.get("/calls"))["calls"]
        return found

    def texts(self, number: str) -> list[dict[str, Any]]:
        """The SMS the messaging API accepted for ``number`` (E.164), in order."""
        found: list[dict[str, Any]] = self._ok(self._http.get(f"/messages/{number}"))["messages"]
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


def _require_accepted(webhooks: list[dict[str, Any]]) -> None:
    refused = [w for w in webhooks if not 200 <= int(w["status"]) < 300]
    if refused:
        raise RuntimeError(f"the ingress refused lifecycle webhooks: {refused}")
