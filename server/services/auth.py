"""AuthService: Register, Login, RefreshToken, Logout, RequestPasswordReset, ResetPassword,
VerifyEmail, ChangePassword, GetMe, CreateApiKey, ListApiKeys, RevokeApiKey, GetJwks."""

from typing import Any, TypeAlias

import grpc

from financehub.v1 import auth_pb2, auth_pb2_grpc
from server.domain.errors import ViolationCollector
from server.request_context import current_principal
from server.security.accounts import AccountService, SessionTokens
from server.security.tokens import TokenService
from server.services.conversions import (
    api_key_message,
    optional_timestamp,
    require_uuid,
    timestamp_message,
    user_message,
)
from server.services.pagination import (
    decode_page_token,
    encode_page_token,
    encode_time_and_id,
    page_size_from,
    time_and_id_cursor,
)

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def token_pair(tokens: SessionTokens) -> auth_pb2.TokenPair:
    pair = auth_pb2.TokenPair(access_token=tokens.access_token,
                              refresh_token=tokens.refresh_token, token_type="Bearer")
    pair.access_token_expire_time.CopyFrom(timestamp_message(tokens.access_expires_at))
    pair.refresh_token_expire_time.CopyFrom(timestamp_message(tokens.refresh_expires_at))
    return pair


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, accounts: AccountService, tokens: TokenService) -> None:
        self._accounts = accounts
        self._tokens = tokens

    async def Register(self, request: auth_pb2.RegisterRequest,
                       context: Context) -> auth_pb2.RegisterResponse:
        user = await self._accounts.register(request.email, request.password,
                                             current_principal().address)
        return auth_pb2.RegisterResponse(user=user_message(user))

    async def Login(self, request: auth_pb2.LoginRequest,
                    context: Context) -> auth_pb2.LoginResponse:
        tokens, user = await self._accounts.login(request.email, request.password,
                                                  current_principal().address)
        return auth_pb2.LoginResponse(tokens=token_pair(tokens), user=user_message(user))

    async def RefreshToken(self, request: auth_pb2.RefreshTokenRequest,
                           context: Context) -> auth_pb2.RefreshTokenResponse:
        tokens = await self._accounts.refresh(request.refresh_token, current_principal().address)
        return auth_pb2.RefreshTokenResponse(tokens=token_pair(tokens))

    async def Logout(self, request: auth_pb2.LogoutRequest,
                     context: Context) -> auth_pb2.LogoutResponse:
        await self._accounts.logout(current_principal())
        return auth_pb2.LogoutResponse()

    async def RequestPasswordReset(self, request: auth_pb2.RequestPasswordResetRequest,
                                   context: Context) -> auth_pb2.RequestPasswordResetResponse:
        await self._accounts.request_password_reset(request.email, current_principal().address)
        return auth_pb2.RequestPasswordResetResponse()

    async def ResetPassword(self, request: auth_pb2.ResetPasswordRequest,
                            context: Context) -> auth_pb2.ResetPasswordResponse:
        await self._accounts.reset_password(request.token, request.new_password,
                                            current_principal().address)
        return auth_pb2.ResetPasswordResponse()

    async def VerifyEmail(self, request: auth_pb2.VerifyEmailRequest,
                          context: Context) -> auth_pb2.VerifyEmailResponse:
        user = await self._accounts.verify_email(request.token, current_principal().address)
        return auth_pb2.VerifyEmailResponse(user=user_message(user))

    async def ChangePassword(self, request: auth_pb2.ChangePasswordRequest,
                             context: Context) -> auth_pb2.ChangePasswordResponse:
        await self._accounts.change_password(current_principal(), request.current_password,
                                             request.new_password)
        return auth_pb2.ChangePasswordResponse()

    async def GetMe(self, request: auth_pb2.GetMeRequest,
                    context: Context) -> auth_pb2.GetMeResponse:
        return auth_pb2.GetMeResponse(
            user=user_message(await self._accounts.get_me(current_principal())))

    async def CreateApiKey(self, request: auth_pb2.CreateApiKeyRequest,
                           context: Context) -> auth_pb2.CreateApiKeyResponse:
        problems = ViolationCollector()
        expires_at = (optional_timestamp(request.expire_time, "expire_time", problems)
                      if request.HasField("expire_time") else None)
        problems.raise_if_any()
        created = await self._accounts.create_api_key(
            current_principal(), name=request.name, expires_at=expires_at,
            request_id=request.request_id.strip())
        return auth_pb2.CreateApiKeyResponse(api_key=api_key_message(created.key),
                                             secret=created.secret)

    async def ListApiKeys(self, request: auth_pb2.ListApiKeysRequest,
                          context: Context) -> auth_pb2.ListApiKeysResponse:
        page_size = page_size_from(request.page_size)
        principal = current_principal()
        filters = (principal.user_id or "",)
        after = time_and_id_cursor(decode_page_token(request.page_token, filters))
        keys = await self._accounts.list_api_keys(principal, after=after, limit=page_size + 1)
        page = keys[:page_size]
        next_token = (encode_page_token(encode_time_and_id(page[-1].created_at, page[-1].id),
                                        filters) if len(keys) > page_size else "")
        return auth_pb2.ListApiKeysResponse(api_keys=[api_key_message(k) for k in page],
                                            next_page_token=next_token)

    async def RevokeApiKey(self, request: auth_pb2.RevokeApiKeyRequest,
                           context: Context) -> auth_pb2.RevokeApiKeyResponse:
        key_id = require_uuid(request.key_id, "key_id")
        key = await self._accounts.revoke_api_key(current_principal(), key_id)
        return auth_pb2.RevokeApiKeyResponse(api_key=api_key_message(key))

    async def GetJwks(self, request: auth_pb2.GetJwksRequest,
                      context: Context) -> auth_pb2.GetJwksResponse:
        return auth_pb2.GetJwksResponse(keys=[auth_pb2.JsonWebKey(**jwk)
                                              for jwk in self._tokens.jwks()])
