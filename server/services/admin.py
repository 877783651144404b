"""AdminService: ListUsers, GetUser, SetUserRole, DeactivateUser, ListAuditEvents,
ListOutboxMessages."""

from typing import Any, TypeAlias

import grpc

from financehub.v1 import admin_pb2, admin_pb2_grpc, identity_pb2
from server.domain.errors import ViolationCollector
from server.request_context import current_principal
from server.security.administration import AdministrationService
from server.services.conversions import (
    ROLE_FROM_PROTO,
    require_uuid,
    timestamp_message,
    user_message,
)
from server.services.pagination import (
    decode_page_token,
    encode_page_token,
    encode_time_and_id,
    id_cursor,
    page_size_from,
    time_and_id_cursor,
)
from server.storage.users import UserFilter

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

_ACTIVITY = {
    admin_pb2.ACTIVITY_FILTER_UNSPECIFIED: None,
    admin_pb2.ACTIVITY_FILTER_ACTIVE: True,
    admin_pb2.ACTIVITY_FILTER_INACTIVE: False,
}
_OUTCOME = {"success": admin_pb2.AUDIT_OUTCOME_SUCCESS, "failure": admin_pb2.AUDIT_OUTCOME_FAILURE}


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):
    def __init__(self, administration: AdministrationService) -> None:
        self._admin = administration

    async def ListUsers(self, request: admin_pb2.ListUsersRequest,
                        context: Context) -> admin_pb2.ListUsersResponse:
        problems = ViolationCollector()
        if request.role == identity_pb2.ROLE_GUEST:
            problems.add("role", "guests are anonymous callers, not accounts")
        elif request.role != identity_pb2.ROLE_UNSPECIFIED and request.role not in ROLE_FROM_PROTO:
            problems.add("role", f"{request.role} is not a known role")
        if request.activity not in _ACTIVITY:
            problems.add("activity", f"{request.activity} is not a known filter")
        problems.raise_if_any()
        page_size = page_size_from(request.page_size)
        filters = (str(request.role), str(request.activity))
        after = time_and_id_cursor(decode_page_token(request.page_token, filters))
        users = await self._admin.list_users(
            UserFilter(role=ROLE_FROM_PROTO.get(request.role), active=_ACTIVITY[request.activity]),
            after=after, limit=page_size + 1)
        page = users[:page_size]
        next_token = (encode_page_token(encode_time_and_id(page[-1].created_at, page[-1].id),
                                        filters) if len(users) > page_size else "")
        return admin_pb2.ListUsersResponse(users=[user_message(u) for u in page],
                                           next_page_token=next_token)

    async def GetUser(self, request: admin_pb2.GetUserRequest,
                      context: Context) -> admin_pb2.GetUserResponse:
        user = await self._admin.get_user(require_uuid(request.user_id, "user_id"))
        return admin_pb2.GetUserResponse(user=user_message(user))

    async def SetUserRole(self, request: admin_pb2.SetUserRoleRequest,
                          context: Context) -> admin_pb2.SetUserRoleResponse:
        user_id = require_uuid(request.user_id, "user_id")
        role = ROLE_FROM_PROTO.get(request.role)
        problems = ViolationCollector()
        if role is None or request.role == identity_pb2.ROLE_GUEST:
            problems.add("role", "must be ROLE_USER, ROLE_PREMIUM, ROLE_PARTNER or ROLE_ADMIN")
        problems.raise_if_any()
        assert role is not None
        user = await self._admin.set_role(current_principal(), user_id, role)
        return admin_pb2.SetUserRoleResponse(user=user_message(user))

    async def DeactivateUser(self, request: admin_pb2.DeactivateUserRequest,
                             context: Context) -> admin_pb2.DeactivateUserResponse:
        user = await self._admin.deactivate(current_principal(),
                                            require_uuid(request.user_id, "user_id"))
        return admin_pb2.DeactivateUserResponse(user=user_message(user))

    async def ListAuditEvents(self, request: admin_pb2.ListAuditEventsRequest,
                              context: Context) -> admin_pb2.ListAuditEventsResponse:
        page_size = page_size_from(request.page_size)
        actor = require_uuid(request.actor_user_id, "actor_user_id") \
            if request.actor_user_id.strip() else None
        action = request.action.strip() or None
        filters = (action or "", actor or "")
        before = id_cursor(decode_page_token(request.page_token, filters))
        events = await self._admin.list_audit_events(action=action, actor_user_id=actor,
                                                     before_id=before, limit=page_size + 1)
        page = events[:page_size]
        response = admin_pb2.ListAuditEventsResponse(
            next_page_token=encode_page_token(str(page[-1].id), filters)
            if len(events) > page_size else "")
        for event in page:
            message = response.events.add(
                id=str(event.id), actor_user_id=event.actor_user_id or "", action=event.action,
                target=event.target, source_address=event.source_address,
                outcome=_OUTCOME[event.outcome], detail=event.detail)
            message.occur_time.CopyFrom(timestamp_message(event.occurred_at))
        return response

    async def ListOutboxMessages(self, request: admin_pb2.ListOutboxMessagesRequest,
                                 context: Context) -> admin_pb2.ListOutboxMessagesResponse:
        page_size = page_size_from(request.page_size)
        recipient = request.recipient.strip().lower() or None
        filters = (recipient or "",)
        before = id_cursor(decode_page_token(request.page_token, filters))
        messages = await self._admin.list_outbox(recipient=recipient, before_id=before,
                                                 limit=page_size + 1)
        page = messages[:page_size]
        response = admin_pb2.ListOutboxMessagesResponse(
            next_page_token=encode_page_token(str(page[-1].id), filters)
            if len(messages) > page_size else "")
        for mail in page:
            message = response.messages.add(id=str(mail.id), recipient=mail.recipient,
                                            subject=mail.subject, body=mail.body)
            message.create_time.CopyFrom(timestamp_message(mail.created_at))
        return response
