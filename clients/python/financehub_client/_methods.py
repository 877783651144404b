"""What the contract says about each RPC, read from the generated descriptors.

Nothing here is hand-maintained per RPC: whether a method is public (no credentials
needed), whether it is safe to repeat, and how it streams all come from the
`.proto` options compiled into the stubs (`financehub.options.v1.method_policy`,
`google.api.http`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from google.api import annotations_pb2
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from financehub.options.v1 import options_pb2

# POST RPCs that only read (the HTTP verb is POST for the request body's sake).
READ_ONLY_POSTS = frozenset({
    "financehub.v1.MarketService.ScreenSecurities",
    "financehub.v1.ChartService.GetIndicators",
    "financehub.v1.AIService.AnalyzeSentiment",
})
# Idempotent through a client key: the same key replays the first answer.
CLIENT_KEYED = {
    "financehub.v1.TradingService.PlaceOrder": "client_order_id",
}


@dataclass(frozen=True)
class MethodInfo:
    full_name: str  # financehub.v1.MarketService.GetTicker
    public: bool
    idempotent_verb: bool  # GET or DELETE, or a read-only POST
    client_key: str | None  # the request field that makes a retry safe, if any
    server_streaming: bool
    client_streaming: bool

    def idempotent(self, request: Message | None) -> bool:
        """Safe to send again when the first attempt's fate is unknown (UNAVAILABLE)."""
        if self.idempotent_verb:
            return True
        if self.client_key is not None and request is not None:
            return bool(getattr(request, self.client_key, ""))
        return False


def full_name(method_path: str | bytes) -> str:
    """`/financehub.v1.MarketService/GetTicker` -> `financehub.v1.MarketService.GetTicker`."""
    text = method_path.decode() if isinstance(method_path, bytes) else method_path
    return text.strip("/").replace("/", ".")


@functools.lru_cache(maxsize=512)
def method_info(method_path: str | bytes) -> MethodInfo | None:
    """What the contract says about a method, or None for one it does not describe
    (health checks, reflection, another service)."""
    name = full_name(method_path)
    try:
        method: MethodDescriptor = descriptor_pool.Default().FindMethodByName(name)
    except KeyError:
        return None
    options = method.GetOptions()
    policy = options.Extensions[options_pb2.method_policy]
    http = options.Extensions[annotations_pb2.http]
    verb = http.WhichOneof("pattern")
    return MethodInfo(
        full_name=name,
        public=bool(policy.public),
        idempotent_verb=verb in ("get", "delete") or name in READ_ONLY_POSTS,
        client_key=CLIENT_KEYED.get(name),
        server_streaming=bool(method.server_streaming),
        client_streaming=bool(method.client_streaming),
    )
