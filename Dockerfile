# specbot's GitHub App: the webhook server with a worker in the same process.
# Build: docker build -t specbot .   Run: see docs/install.md (settings come from the environment).
FROM python:3.11-slim

# git: the implementer works in real checkouts; bubblewrap: agents' shells run in its sandbox
# (the container needs a seccomp profile that allows namespaces, see docs/install.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates bubblewrap \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SPECBOT_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && rm -rf /app/bot

RUN useradd --create-home --uid 10001 specbot \
    && mkdir -p /data && chown specbot:specbot /data
USER specbot
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

# Exec form: specbot itself receives SIGTERM from `docker stop` and shuts down cleanly.
CMD ["specbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
