# syntax=docker/dockerfile:1
# One image for every callstream service; the command picks which:
#   docker run --rm callstream:local ingress --host 0.0.0.0
#   docker run --rm callstream:local streams | injector | console | topics create | dlq replay ...
# Build: docker build -t callstream:local .          (the production image: `runtime`)
#        docker build --target dev -t callstream-dev:local .
#                                                    (plus devkit: the emulator, the demo
#                                                     backends and `callstream demo`, for the
#                                                     compose dev profile; never deployed)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: the pinned runtime dependencies and callstream, in a venv ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY callstream/ callstream/
COPY callstream_cli/ callstream_cli/
COPY ingress/ ingress/
COPY streams/ streams/
COPY injector/ injector/
COPY console/ console/
# constraints.txt pins every version; only runtime dependencies are installed
# (no [test] or [bench] extras, no devkit).
RUN python -m venv /opt/callstream \
    && /opt/callstream/bin/pip install --no-cache-dir --constraint constraints.txt .

# ---- build-dev: the same venv plus devkit, for the `dev` target only ----
FROM build AS build-dev
COPY devkit/ devkit/
RUN /opt/callstream/bin/pip install --no-cache-dir --constraint constraints.txt ./devkit

# ---- base: what both images share: the user, the environment, the health check ----
FROM ${PYTHON_IMAGE} AS base
LABEL org.opencontainers.image.title="callstream" \
      org.opencontainers.image.description="Live voice-AI calls joined to a Kafka event bus" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 callstream \
    && useradd --system --uid 10001 --gid callstream --create-home \
       --home-dir /home/callstream --shell /usr/sbin/nologin callstream
ENV PATH=/opt/callstream/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CALLSTREAM_LOG_FORMAT=json \
    CALLSTREAM_HEALTH_PORT=8000
USER 10001:10001
WORKDIR /home/callstream
# 8000 ingress; 8001 streams and 8002 injector /healthz, /readyz, /metrics; 8003 console.
EXPOSE 8000 8001 8002 8003
# Each service answers /healthz on its own port; compose sets CALLSTREAM_HEALTH_PORT
# per service (8000 ingress, 8001 streams, 8002 injector, 8003 console).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "callstream.ops.probe", "/healthz"]
ENTRYPOINT ["callstream"]
CMD ["--help"]

# ---- dev: the runtime with devkit (compose's dev profile: emulator, backends, demo) ----
FROM base AS dev
COPY --from=build-dev /opt/callstream /opt/callstream

# ---- runtime: the production image, the venv alone (the last stage: the default target) ----
FROM base AS runtime
COPY --from=build /opt/callstream /opt/callstream
