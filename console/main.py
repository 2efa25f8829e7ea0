"""Running the console: build the board, the follower and the app from the settings, serve."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from callstream.errors import ConfigError
from callstream.kafka import KafkaConnection
from callstream.settings import Settings
from console.access import Access
from console.follow import Follower, FollowerMetrics, followed_topics
from console.replay import Replayer
from console.state import Console
from console.view.board import Board
from console.view.fold import Rules


def access_of(settings: Settings) -> Access:
    """The console's tokens; ``ConfigError`` when the read token is missing or they clash."""
    env = settings.env
    read, replay = env.callstream_console_token, env.callstream_console_replay_token
    if read is None:
        raise ConfigError(
            "CALLSTREAM_CONSOLE_TOKEN is not set: the console shows call contents, "
            "so it needs a token (openssl rand -base64 32)"
        )
    if replay is not None and replay.get_secret_value() == read.get_secret_value():
        raise ConfigError(
            "CALLSTREAM_CONSOLE_REPLAY_TOKEN equals CALLSTREAM_CONSOLE_TOKEN: "
            "the replay token must differ, or every reader could replay"
        )
    return Access(read, replay)


def build_console(settings: Settings, conn: KafkaConnection, access: Access) -> Console:
    """The console's parts for ``settings``, on ``conn``; the follower is not started yet."""
    config = settings.config
    board = Board(config.console)
    rules = Rules(
        console=config.console,
        fields={name: spec.fields for name, spec in config.sources.items()},
        region=config.streams.default_region,
    )
    topics = settings.topics
    registry = CollectorRegistry()
    lock = threading.Lock()
    follower = Follower(
        conn,
        topics=followed_topics(topics.core(), topics.sources),
        board=board,
        rules=rules,
        lock=lock,
        metrics=FollowerMetrics(registry),
    )
    replayer = Replayer(conn, topics.dlq) if access.replay_token is not None else None
    return Console(
        board,
        lock,
        access,
        follower,
        registry,
        replayer,
        secure_cookie=config.console.secure_cookie,
    )


def _stopped(signum: int, _: FrameType | None) -> None:
    raise SystemExit(0)


def serve(app: FastAPI, *, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Listen on ``host:port`` until SIGTERM or Ctrl-C."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,  # callstream.logs routes uvicorn's loggers
        access_log=False,
        server_header=False,
        # Live pages hold a stream open; they reconnect to another replica.
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again under the
    # handler found at start: with this one, a requested stop is a clean exit (status 0).
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _stopped)
    sock = config.bind_socket()
    bound_host, bound_port = sock.getsockname()[:2]
    announce(f"callstream console listening on http://{bound_host}:{bound_port}")
    server.run(sockets=[sock])
