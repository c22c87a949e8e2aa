# syntax=docker/dockerfile:1
# One Dockerfile, two images:
#   --target server   FastAPI server, ingest worker and `labshare-server` admin commands (+ web app)
#   --target gateway  edge agent and firmware bridge / simulators (no server stack, as on a Pi)

FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

FROM python:3.11-slim-bookworm AS python-base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin labshare
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mqtt_contract/ mqtt_contract/

FROM python-base AS server
COPY server/ server/
RUN pip install ".[server]" && rm -rf build *.egg-info
COPY --from=web /src/web/dist /app/web/dist
ENV LABSHARE_WEB_DIST=/app/web/dist \
    LABSHARE_ENVIRONMENT=production \
    LABSHARE_LOG_FORMAT=json
USER labshare
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["labshare-server", "serve", "--host", "0.0.0.0", "--port", "8000", "--migrate"]

FROM python-base AS gateway
COPY edge_agent/ edge_agent/
COPY firmware_bridge/ firmware_bridge/
RUN pip install ".[edge,bridge]" && rm -rf build *.egg-info
# The spool must survive restarts: mount a volume here.
RUN mkdir -p /var/lib/labshare-edge && chown labshare:labshare /var/lib/labshare-edge
VOLUME ["/var/lib/labshare-edge"]
USER labshare
CMD ["labshare-edge", "run", "/etc/labshare/gateway.yaml"]
