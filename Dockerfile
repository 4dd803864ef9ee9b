# syntax=docker/dockerfile:1
# Build: docker build -t jobpath .
# Run:   docker run -p 8000:8000 -e DATABASE_URL=postgresql+asyncpg://... \
#          -e JOBPATH_JWT_KEYS='{"2026-11":"<48+ random chars>"}' \
#          -e JOBPATH_AUDIT_KEYS='{"2026-12":"<48+ random chars, not the JWT key>"}' \
#          -e JOBPATH_ENVIRONMENT=production jobpath

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /venv
# Dependencies first, in their own cached layer: they change less often than the code.
# The locked versions, hash-checked (./scripts/lock writes requirements/app.txt).
COPY requirements/app.txt ./requirements/app.txt
RUN /venv/bin/pip install --require-hashes -r requirements/app.txt
COPY pyproject.toml README.md ./
COPY app ./app
RUN /venv/bin/pip install --no-deps .

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    JOBPATH_DATA_DIR=/data
RUN useradd --system --uid 10001 --home-dir /srv/jobpath jobpath \
    && mkdir -p /data /srv/jobpath && chown jobpath /data
COPY --from=build /venv /venv
WORKDIR /srv/jobpath
COPY alembic.ini ./
COPY alembic ./alembic
USER jobpath
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"
# `jobpath serve` migrates, then starts uvicorn with several workers and the server settings
# kept in one place (app/cli.py: no X-Forwarded-For trusted by uvicorn itself, keep-alive and
# header-size limits, a concurrency cap); no demo data. Behind a reverse proxy, name it in
# JOBPATH_TRUSTED_PROXIES so that its X-Forwarded-For is believed, and only its.
CMD ["sh", "-c", "exec jobpath serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-4} --no-demo"]
