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
from pathlib import Path

from server.config import REPO_ROOT

TEMPLATE = REPO_ROOT / "envoy" / "envoy.yaml"
DEFAULT_DESCRIPTOR = REPO_ROOT / "generated" / "descriptor" / "financehub.binpb"
DEFAULT_CORS_ORIGINS = "http://localhost:8080,http://127.0.0.1:8080"


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


def render(
    *,
    http_port: int,
    admin_port: int,
    upstream_host: str,
    upstream_port: int,
    cors_origins: list[str],
    descriptor_path: Path = DEFAULT_DESCRIPTOR,
    upstream_tls: str = "",
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
    )


def render_from_env(env: Mapping[str, str], **overrides: int) -> str:
    origins = env.get("FINANCEHUB_CORS_ORIGINS", DEFAULT_CORS_ORIGINS)
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
