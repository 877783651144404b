"""Container health check: is the gRPC server in this container SERVING?

    python -m server.tools.health_probe [--host H] [--port N] [--service NAME] [--timeout S]

Calls grpc.health.v1.Health/Check on this machine's gRPC port
(`FINANCEHUB_GRPC_PORT`, 50051) and exits 0 only when the answer is SERVING;
1 for anything else (NOT_SERVING while the server drains, no answer within the
timeout, connection refused), 2 for a configuration it cannot use. It prints
one line, which `docker inspect` keeps with the health state.

The Dockerfile's HEALTHCHECK and docker-compose.yml run it; Kubernetes uses its
native `grpc:` probe on the same service instead. With TLS on the gRPC port
(`FINANCEHUB_TLS_CERT_FILE`) it connects over TLS, trusting
`FINANCEHUB_UPSTREAM_CA_FILE` (default: the server's own certificate) and
expecting the name `FINANCEHUB_UPSTREAM_TLS_NAME` (default `localhost`), as
Envoy does.
"""

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.config import ConfigError, Settings

DEFAULT_TIMEOUT_S = 2.0
OK, UNHEALTHY, BAD_CONFIGURATION = 0, 1, 2
# A server bound to every interface answers on loopback.
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})


def probe_host(bind_host: str) -> str:
    """Where to reach a server bound to `bind_host` from inside its own container."""
    return "127.0.0.1" if bind_host in WILDCARD_HOSTS else bind_host


def channel_for(target: str, settings: Settings, env: Mapping[str, str]) -> grpc.Channel:
    if settings.tls_cert_file is None:
        return grpc.insecure_channel(target)
    ca_file = Path(env.get("FINANCEHUB_UPSTREAM_CA_FILE") or settings.tls_cert_file)
    credentials = grpc.ssl_channel_credentials(root_certificates=ca_file.read_bytes())
    server_name = env.get("FINANCEHUB_UPSTREAM_TLS_NAME", "localhost")
    return grpc.secure_channel(target, credentials,
                               options=[("grpc.ssl_target_name_override", server_name)])


def check(target: str, settings: Settings, env: Mapping[str, str], *, service: str = "",
          timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[bool, str]:
    """(SERVING?, what to print) for one Health/Check call to `target`."""
    try:
        with channel_for(target, settings, env) as channel:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s)
    except grpc.RpcError as error:
        code = error.code() if isinstance(error, grpc.Call) else None
        return False, f"{target}: {code.name if code else 'no answer'}"
    except OSError as error:
        return False, f"{target}: cannot read the TLS trust file: {error.strerror}"
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    return answer.status == health_pb2.HealthCheckResponse.SERVING, f"{target}: {status}"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.tools.health_probe",
                                     description="Exit 0 when the local gRPC server is SERVING.")
    parser.add_argument("--host", help="default: loopback, or FINANCEHUB_GRPC_HOST when the "
                                       "server binds one address")
    parser.add_argument("--port", type=int, help="default: FINANCEHUB_GRPC_PORT (50051)")
    parser.add_argument("--service", default="",
                        help="a service name, e.g. financehub.v1.MarketService "
                             "(default: the server as a whole)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds to wait for the answer (default {DEFAULT_TIMEOUT_S:g})")
    args = parser.parse_args(argv)
    variables = os.environ if env is None else env
    try:
        settings = Settings.from_env(variables)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return BAD_CONFIGURATION
    host = args.host or probe_host(settings.grpc_host)
    port = args.port or settings.grpc_port
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    serving, line = check(f"{host}:{port}", settings, variables, service=args.service,
                          timeout_s=args.timeout)
    print(line)
    return OK if serving else UNHEALTHY


if __name__ == "__main__":
    sys.exit(main())
