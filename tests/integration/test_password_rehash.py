"""Legacy bcrypt hashes still log in, and are replaced by argon2id on that login."""

import bcrypt
import grpc
import psycopg

from financehub.v1 import auth_pb2, auth_pb2_grpc
from server.domain.access import Role
from server.storage.backends import Backends
from tests.support.identity import create_account
from tests.support.services import RunningServer


def _stored_hash(database_url: str, user_id: str) -> str:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT password_hash FROM users WHERE id = %s", (user_id,)).fetchone()
    assert row is not None
    return str(row[0])


def test_bcrypt_hash_verifies_and_is_rehashed_with_argon2id(
        server: RunningServer, channel: grpc.Channel, seeded: Backends) -> None:
    account = create_account(server, Role.USER)
    legacy = bcrypt.hashpw(account.password.encode(), bcrypt.gensalt(rounds=4)).decode()
    with psycopg.connect(seeded.database_url, autocommit=True) as conn:
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s",
                     (legacy, account.user_id))

    stub = auth_pb2_grpc.AuthServiceStub(channel)
    answer = stub.Login(auth_pb2.LoginRequest(email=account.email, password=account.password))
    assert answer.user.id == account.user_id
    rehashed = _stored_hash(seeded.database_url, account.user_id)
    assert rehashed.startswith("$argon2id$")
    # The new hash is the one that works from now on.
    assert stub.Login(auth_pb2.LoginRequest(email=account.email, password=account.password))
    assert _stored_hash(seeded.database_url, account.user_id) == rehashed
