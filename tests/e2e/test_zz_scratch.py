import subprocess, time
from tests.e2e.conftest import RunningEnvoy, ENVOY_BIN, _admin_ready, _stop
from tests.support.services import free_port
from server.tools.envoy_config import render_from_env
OLD = '''                      routes:
                        - match: { prefix: "/" }
                          route:
                            cluster: financehub_grpc
                            # No route timeout: server streams stay open as long as they run.
                            timeout: 0s
'''
NEW = '''                      routes:
                        - match:
                            prefix: "/"
                            headers: [{ name: ":method", string_match: { exact: "OPTIONS" } }]
                          direct_response: { status: 204 }
                        - match: { prefix: "/financehub.v1." }
                          route: { cluster: financehub_grpc, timeout: 0s }
                        - match: { prefix: "/grpc.health.v1." }
                          route: { cluster: financehub_grpc, timeout: 0s }
                        - match: { prefix: "/" }
                          direct_response: { status: 404, body: { inline_string: "not found" } }
'''
def test_fix(server, tmp_path):
    h, a = free_port(), free_port()
    cfg = render_from_env({}, http_port=h, admin_port=a, upstream_port=server.app.port)
    assert OLD in cfg
    cfg = cfg.replace('max_age: "86400"', 'max_age: "86400"\n                          forward_not_matching_preflights: false')
    cfg = cfg.replace('reject_unknown_query_parameters: true', 'reject_unknown_query_parameters: true\n                        reject_unknown_method: true')
    p = tmp_path / "e.yaml"; p.write_text(cfg)
    proc = subprocess.Popen([str(ENVOY_BIN), "-c", str(p), "--disable-hot-restart", "--log-level", "warn"])
    try:
        while not _admin_ready(f"http://127.0.0.1:{a}"):
            assert proc.poll() is None; time.sleep(0.05)
        e = RunningEnvoy(f"http://127.0.0.1:{h}", "", proc, p)
        for path, kw in [("/v1/tickers/2222", {}), ("/v1/tickers/9998", {}), ("/v1/no-such", {}),
                         ("/v1/tickers/2222", dict(method="OPTIONS", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})),
                         ("/v1/tickers/2222", dict(method="OPTIONS", headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "GET"})),
                         ("/v1/tickers/2222", dict(headers={"Origin": "http://localhost:8080"})),
("/v1/tickers/2222", dict(headers={"Origin": "http://evil.example"})),
("/financehub.v1.MarketService/GetTicker", dict(method="POST", body=b"\0\0\0\0\x06\n\x042222", headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1"})),
("/grpc.health.v1.Health/Check", dict(method="POST", body=b"\0\0\0\0\0", headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1"})),
("/financehub.v1.MarketService/GetTicker", dict(method="OPTIONS", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})),
                         ]:
            r = e.request(path, **kw); print(path, kw.get("method"), r.status, r.headers, r.body[:100])
    finally:
        _stop(proc)
