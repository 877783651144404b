"""Fill in envoy/envoy.yaml from the environment and write the result.

    python -m server.tools.envoy_config OUTPUT [--upstream-port N] [--http-port N] [--admin-port N]

Envoy has no environment substitution of its own; this keeps one template
for `make run`, the tests and the containers.
"""

import argparse
import json
import os
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from server.config import REPO_ROOT, default_cors_origins
from server.contract import SERVICE_DESCRIPTORS, full_method_name

TEMPLATE = REPO_ROOT / "envoy" / "envoy.yaml"
DEFAULT_DESCRIPTOR = REPO_ROOT / "generated" / "descriptor" / "financehub.binpb"


def upstream_tls_block(ca_file: Path, server_name: str) -> str:
    """Envoy cluster settings for TLS to the gRPC server, verified against `ca_file`."""
    return f"""      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: {json.dumps(server_name)}
          common_tls_context:
            alpn_protocols: ["h2"]
            validation_context:
              trusted_ca: {{ filename: {json.dumps(str(ca_file))} }}"""


DOWNSTREAM_TLS_TYPE = ("type.googleapis.com/"
                       "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext")


def downstream_tls_block(cert_file: Path, key_file: Path) -> str:
    """Listener settings terminating TLS (HTTP/2 and HTTP/1.1 offered by ALPN)."""
    return f"""          transport_socket:
            name: envoy.transport_sockets.tls
            typed_config:
              "@type": {DOWNSTREAM_TLS_TYPE}
              common_tls_context:
                alpn_protocols: ["h2", "http/1.1"]
                tls_certificates:
                  - certificate_chain: {{ filename: {json.dumps(str(cert_file))} }}
                    private_key: {{ filename: {json.dumps(str(key_file))} }}"""


def stream_routes() -> str:
    """A route without a timeout for every server-streaming RPC of the contract."""
    paths = [full_method_name(service, method.name) for service in SERVICE_DESCRIPTORS
             for method in service.methods if method.server_streaming]
    return "\n".join(
        f"""                        - match: {{ path: {json.dumps(path)} }}
                          route:
                            cluster: financehub_grpc
                            timeout: 0s
                            max_stream_duration: {{ grpc_timeout_header_max: 0s }}"""
        for path in paths)


@dataclass(frozen=True)
class EnvoyLimits:
    route_timeout_s: int = 60
    rate_limit_burst: int = 2000
    rate_limit_per_second: int = 1000


def render(
    *,
    http_port: int,
    admin_port: int,
    upstream_host: str,
    upstream_port: int,
    cors_origins: list[str],
    descriptor_path: Path = DEFAULT_DESCRIPTOR,
    upstream_tls: str = "",
    downstream_tls: str = "",
    access_log_path: str = "/dev/stdout",
    limits: EnvoyLimits = EnvoyLimits(),
) -> str:
    # A JSON array is valid YAML flow syntax; exact matches only, never a wildcard.
    origins = json.dumps([{"exact": origin} for origin in cors_origins])
    return string.Template(TEMPLATE.read_text()).substitute(
        HTTP_PORT=http_port,
        ADMIN_PORT=admin_port,
        UPSTREAM_HOST=upstream_host,
        UPSTREAM_PORT=upstream_port,
        DESCRIPTOR_PATH=str(descriptor_path),
        CORS_ORIGINS=origins,
        UPSTREAM_TLS=upstream_tls,
        DOWNSTREAM_TLS=downstream_tls,
        ACCESS_LOG_PATH=access_log_path,
        STREAM_ROUTES=stream_routes(),
        ROUTE_TIMEOUT=f"{limits.route_timeout_s}s",
        RATE_LIMIT_BURST=limits.rate_limit_burst,
        RATE_LIMIT_PER_SECOND=limits.rate_limit_per_second,
    )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name}={raw!r} must be a positive integer")
    return int(raw)


def render_from_env(env: Mapping[str, str], **overrides: int) -> str:
    origins = env.get("FINANCEHUB_CORS_ORIGINS") or ",".join(
        default_cors_origins(int(env.get("FINANCEHUB_WEB_PORT") or 8081)))
    # With TLS on the gRPC port, Envoy verifies the server against FINANCEHUB_UPSTREAM_CA_FILE
    # (default: the server's own certificate, right for a self-signed one).
    cert = env.get("FINANCEHUB_TLS_CERT_FILE")
    upstream_tls = upstream_tls_block(
        Path(env.get("FINANCEHUB_UPSTREAM_CA_FILE") or str(cert)),
        env.get("FINANCEHUB_UPSTREAM_TLS_NAME", "localhost")) if cert else ""
    return render(
        http_port=overrides.get("http_port") or int(env.get("FINANCEHUB_HTTP_PORT", "8080")),
        admin_port=overrides.get("admin_port")
        or int(env.get("FINANCEHUB_ENVOY_ADMIN_PORT", "9901")),
        upstream_host=env.get("FINANCEHUB_UPSTREAM_HOST", "127.0.0.1"),
        upstream_port=overrides.get("upstream_port")
        or int(env.get("FINANCEHUB_GRPC_PORT", "50051")),
        cors_origins=[o.strip() for o in origins.split(",") if o.strip()],
        descriptor_path=Path(env.get("FINANCEHUB_DESCRIPTOR_PATH", str(DEFAULT_DESCRIPTOR))),
        upstream_tls=upstream_tls,
        downstream_tls=downstream_tls_block(Path(env["FINANCEHUB_ENVOY_TLS_CERT_FILE"]),
                                            Path(env["FINANCEHUB_ENVOY_TLS_KEY_FILE"]))
        if env.get("FINANCEHUB_ENVOY_TLS_CERT_FILE") else "",
        access_log_path=env.get("FINANCEHUB_ENVOY_ACCESS_LOG", "/dev/stdout"),
        limits=EnvoyLimits(
            route_timeout_s=_positive(env, "FINANCEHUB_ENVOY_ROUTE_TIMEOUT_SECONDS", 60),
            rate_limit_burst=_positive(env, "FINANCEHUB_ENVOY_RATE_LIMIT_BURST", 2000),
            rate_limit_per_second=_positive(env, "FINANCEHUB_ENVOY_RATE_LIMIT_PER_SECOND",
                                            1000)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--admin-port", type=int, default=0)
    parser.add_argument("--upstream-port", type=int, default=0)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render_from_env(
        os.environ, http_port=args.http_port, admin_port=args.admin_port,
        upstream_port=args.upstream_port,
    ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
