import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_GUEST: _ClassVar[Role]
    ROLE_USER: _ClassVar[Role]
    ROLE_PREMIUM: _ClassVar[Role]
    ROLE_PARTNER: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]

class RateLimitTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RATE_LIMIT_TIER_UNSPECIFIED: _ClassVar[RateLimitTier]
    RATE_LIMIT_TIER_GUEST: _ClassVar[RateLimitTier]
    RATE_LIMIT_TIER_STANDARD: _ClassVar[RateLimitTier]
    RATE_LIMIT_TIER_PREMIUM: _ClassVar[RateLimitTier]
    RATE_LIMIT_TIER_PARTNER: _ClassVar[RateLimitTier]
    RATE_LIMIT_TIER_UNLIMITED: _ClassVar[RateLimitTier]
ROLE_UNSPECIFIED: Role
ROLE_GUEST: Role
ROLE_USER: Role
ROLE_PREMIUM: Role
ROLE_PARTNER: Role
ROLE_ADMIN: Role
RATE_LIMIT_TIER_UNSPECIFIED: RateLimitTier
RATE_LIMIT_TIER_GUEST: RateLimitTier
RATE_LIMIT_TIER_STANDARD: RateLimitTier
RATE_LIMIT_TIER_PREMIUM: RateLimitTier
RATE_LIMIT_TIER_PARTNER: RateLimitTier
RATE_LIMIT_TIER_UNLIMITED: RateLimitTier

class User(_message.Message):
    __slots__ = ("id", "email", "role", "is_active", "is_verified", "create_time", "last_login_time", "rate_limit_tier")
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    IS_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_TIME_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_TIER_FIELD_NUMBER: _ClassVar[int]
    id: str
    email: str
    role: Role
    is_active: bool
    is_verified: bool
    create_time: _timestamp_pb2.Timestamp
    last_login_time: _timestamp_pb2.Timestamp
    rate_limit_tier: RateLimitTier
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., is_active: _Optional[bool] = ..., is_verified: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_login_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rate_limit_tier: _Optional[_Union[RateLimitTier, str]] = ...) -> None: ...
