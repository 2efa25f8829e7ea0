"""``python -m callstream.ops.probe [path] [--port N]``: a container health check.

Exits 0 when ``http://127.0.0.1:<port><path>`` answers 200, 1 otherwise, with
one line saying why. The port defaults to ``$CALLSTREAM_HEALTH_PORT`` (each
service sets its own in the image) so one HEALTHCHECK serves every service.
Standard library only: it runs in a slim image with no curl, every few seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request


def probe(url: str, timeout_s: float) -> tuple[bool, str]:
    """Whether ``url`` answers 200, and a short reason."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - loopback URL we build
            return response.status == 200, f"{response.status} from {url}"
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code} from {url}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"{url}: {exc}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m callstream.ops.probe")
    parser.add_argument("path", nargs="?", default="/healthz")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("CALLSTREAM_HEALTH_PORT", "8000"))
    )
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    ok, reason = probe(f"http://127.0.0.1:{args.port}{args.path}", args.timeout)
    print(reason)  # noqa: T201 - docker shows the probe's output in `docker inspect`
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
