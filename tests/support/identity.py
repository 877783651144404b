"""Helpers for the identity and access tests: users of any role, logins, API keys,
generic RPC calls built from the service descriptors, and rich-error unpacking."""

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from financehub.v1 import auth_pb2, auth_pb2_grpc
from server.domain.access import Role
from tests.support.services import RunningServer

Metadata = Sequence[tuple[str, str]]

_DETAIL_KINDS = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.ResourceInfo,
    error_details_pb2.RetryInfo,
    error_details_pb2.QuotaFailure,
)


def status_details(error: grpc.RpcError) -> dict[str, Any]:
    """The rich error details of a failed call, keyed by their type name."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, f"the error carries no google.rpc.Status: {error!r}"
    found: dict[str, Any] = {}
    for detail in status.details:
        for kind in _DETAIL_KINDS:
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                found[kind.DESCRIPTOR.name] = message
    return found


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    info = status_details(error).get("ErrorInfo")
    assert info is not None, f"no ErrorInfo on {error.code()} {error.details()}"  # type: ignore[attr-defined]
    assert info.domain == "financehub.sa"
    return info


def refusal(call: Callable[[], Any]) -> grpc.RpcError:
    """Run `call`, which must fail; return its error."""
    try:
        call()
    except grpc.RpcError as error:
        return error
    raise AssertionError("the call succeeded but was expected to be refused")


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


def api_key(secret: str) -> tuple[tuple[str, str]]:
    return (("x-api-key", secret),)


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


def strong_password() -> str:
    return "Pw-" + secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    password: str
    role: Role


def create_account(server: RunningServer, role: Role, label: str | None = None) -> Account:
    """A verified account of `role`, created the way the operator command does."""
    email = unique_email(label or role.value)
    password = strong_password()
    user = server.loop.run(server.app.accounts.create_user(
        email, password, role, address="127.0.0.1", verified=True, actor_user_id=None))
    return Account(user_id=user.id, email=email, password=password, role=role)


def login(channel: grpc.Channel, account: Account) -> auth_pb2.LoginResponse:
    stub = auth_pb2_grpc.AuthServiceStub(channel)
    response: auth_pb2.LoginResponse = stub.Login(
        auth_pb2.LoginRequest(email=account.email, password=account.password), timeout=10)
    return response


def create_api_key(channel: grpc.Channel, access_token: str, name: str = "test key",
                   **fields: Any) -> auth_pb2.CreateApiKeyResponse:
    stub = auth_pb2_grpc.AuthServiceStub(channel)
    response: auth_pb2.CreateApiKeyResponse = stub.CreateApiKey(
        auth_pb2.CreateApiKeyRequest(name=name, **fields), metadata=bearer(access_token),
        timeout=10)
    return response


def message_class(descriptor: Any) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)  # type: ignore[no-any-return]


@dataclass
class Outcome:
    """How a call ended: its status code and, when it failed, the error."""

    code: grpc.StatusCode
    error: grpc.RpcError | None


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


def invoke(channel: grpc.Channel, service: ServiceDescriptor, method: MethodDescriptor,
           metadata: Metadata = (), timeout: float = 10) -> Outcome:
    """Call any method of `service` with an empty request, built from its descriptor alone.

    Streaming methods send one empty message and read at most one response.
    """
    path = f"/{service.full_name}/{method.name}"
    request = message_class(method.input_type)()
    deserialize = message_class(method.output_type).FromString
    try:
        if not method.client_streaming and not method.server_streaming:
            channel.unary_unary(path, request_serializer=_serialize,
                                response_deserializer=deserialize)(
                request, metadata=metadata, timeout=timeout)
        elif not method.client_streaming:
            stream = channel.unary_stream(path, request_serializer=_serialize,
                                          response_deserializer=deserialize)(
                request, metadata=metadata, timeout=timeout)
            next(iter(stream), None)
            stream.cancel()
        elif not method.server_streaming:
            channel.stream_unary(path, request_serializer=_serialize,
                                 response_deserializer=deserialize)(
                iter([request]), metadata=metadata, timeout=timeout)
        else:
            stream = channel.stream_stream(path, request_serializer=_serialize,
                                           response_deserializer=deserialize)(
                iter([request]), metadata=metadata, timeout=timeout)
            next(iter(stream), None)
            stream.cancel()
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.CANCELLED:  # type: ignore[attr-defined]
            return Outcome(grpc.StatusCode.OK, None)  # cancelled by us after the first message
        return Outcome(error.code(), error)  # type: ignore[attr-defined]
    return Outcome(grpc.StatusCode.OK, None)
