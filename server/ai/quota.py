"""Each user's daily LLM token quota, by rate-limit tier.

A call is let through while the day's use is under the limit, and what it spends is
counted when it ends: one call may take the total past the limit (its size is not
known in advance); the next is refused until the Asia/Riyadh day turns.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from server.domain.access import Principal, RateLimitTier
from server.domain.calendar import RIYADH
from server.domain.errors import FailedPreconditionError, ResourceExhaustedError
from server.storage.ai_usage import TokenUsageRepository

UNLIMITED = -1


@dataclass(frozen=True)
class QuotaStatus:
    day: date
    used: int
    limit: int  # UNLIMITED for no limit
    resets_at: datetime

    @property
    def remaining(self) -> int:
        return UNLIMITED if self.limit == UNLIMITED else max(0, self.limit - self.used)


def user_id_of(principal: Principal) -> str:
    """The user an AI call is counted against (API keys count against their owner)."""
    if principal.user_id is None:
        raise FailedPreconditionError("AI calls are counted per user; sign in as one",
                                      reason="USER_REQUIRED")
    return principal.user_id


class TokenQuota:
    def __init__(self, usage: TokenUsageRepository, daily_limits: Mapping[RateLimitTier, int],
                 ) -> None:
        self._usage = usage
        self._limits = dict(daily_limits)

    async def status(self, principal: Principal, *, now: datetime | None = None) -> QuotaStatus:
        moment = (now or datetime.now(RIYADH)).astimezone(RIYADH)
        day = moment.date()
        return QuotaStatus(
            day=day, used=await self._usage.used(user_id_of(principal), day),
            limit=self._limits[principal.tier],
            resets_at=datetime.combine(day + timedelta(days=1), time(0), tzinfo=RIYADH))

    async def check(self, principal: Principal) -> QuotaStatus:
        """The caller's status; RESOURCE_EXHAUSTED (with a QuotaFailure) when spent."""
        status = await self.status(principal)
        if status.limit != UNLIMITED and status.used >= status.limit:
            wait = (status.resets_at - datetime.now(RIYADH)).total_seconds()
            raise ResourceExhaustedError(
                f"the daily AI quota of {status.limit:,} tokens is used up "
                f"({status.used:,} used); it resets at 00:00 Asia/Riyadh",
                retry_after_s=max(1.0, wait), quota_subject=f"user:{user_id_of(principal)}",
                quota_description=f"{status.limit} LLM tokens per day "
                                  f"({principal.tier.value} tier)",
                reason="AI_TOKEN_QUOTA_EXCEEDED")
        return status

    async def record(self, principal: Principal, tokens: int) -> QuotaStatus:
        """Count what a call spent; the status after it."""
        status = await self.status(principal)
        used = await self._usage.add(user_id_of(principal), status.day, tokens)
        return QuotaStatus(day=status.day, used=used, limit=status.limit,
                           resets_at=status.resets_at)
