"""Revocations hold when Redis loses its data: the deny-list is rebuilt from Postgres' view."""

import grpc
import pytest
from redis import Redis

from financehub.v1 import (
    admin_pb2,
    admin_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    market_pb2,
    market_pb2_grpc,
)
from server.domain.access import Role
from tests.support.identity import create_account, login
from tests.support.services import RunningServer


def _get_me(channel: grpc.Channel, token: str) -> auth_pb2.GetMeResponse:
    stub = auth_pb2_grpc.AuthServiceStub(channel)
    response: auth_pb2.GetMeResponse = stub.GetMe(
        auth_pb2.GetMeRequest(), metadata=(("authorization", f"Bearer {token}"),), timeout=10)
    return response


def test_a_logged_out_token_stays_refused_after_redis_loses_its_data(
        server: RunningServer, channel: grpc.Channel, redis_client: Redis) -> None:
    account = create_account(server, Role.USER)
    revoked = login(channel, account).tokens.access_token
    still_good = login(channel, account).tokens.access_token  # another session
    auth_pb2_grpc.AuthServiceStub(channel).Logout(
        auth_pb2.LogoutRequest(), metadata=(("authorization", f"Bearer {revoked}"),))

    redis_client.flushdb()  # a restart without persistence

    with pytest.raises(grpc.RpcError) as caught:
        _get_me(channel, revoked)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert _get_me(channel, still_good).user.email == account.email
    # The process noticed the empty Redis and recorded since when it holds the list.
    assert redis_client.get("fh:deny:since") is not None


def test_a_deactivated_users_token_stays_refused_after_redis_loses_its_data(
        server: RunningServer, channel: grpc.Channel, redis_client: Redis) -> None:
    admin = create_account(server, Role.ADMIN)
    victim = create_account(server, Role.USER)
    token = login(channel, victim).tokens.access_token
    admin_token = login(channel, admin).tokens.access_token
    admin_pb2_grpc.AdminServiceStub(channel).DeactivateUser(
        admin_pb2.DeactivateUserRequest(user_id=victim.user_id),
        metadata=(("authorization", f"Bearer {admin_token}"),))
    redis_client.flushdb()
    # Market data, not GetMe: GetMe would refuse an inactive account on its own.
    with pytest.raises(grpc.RpcError) as caught:
        market_pb2_grpc.MarketServiceStub(channel).GetTicker(
            market_pb2.GetTickerRequest(symbol="2222"),
            metadata=(("authorization", f"Bearer {token}"),))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
