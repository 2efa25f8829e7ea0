"""Operations surface shared by the services: health state and the side-port HTTP server."""

from callstream.ops.health import Health, HealthReport
from callstream.ops.server import OpsServer

__all__ = ["Health", "HealthReport", "OpsServer"]
