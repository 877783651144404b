"""FinanceHub Pro Python SDK: a typed gRPC client, sync and asyncio.

    from financehub_client import FinanceHubClient

    with FinanceHubClient("localhost:50051", api_key="fhp_...") as client:
        print(client.market.GetTicker(symbol="2222").ticker.name_en)
        for ticker in client.market.iter_tickers(sector="Energy"):
            print(ticker.symbol)

The request and response messages are the generated ones (`financehub.v1.*_pb2`),
shipped with this package.
"""

from financehub_client._base import AsyncService, SyncService
from financehub_client._services import *  # noqa: F403 - the typed service accessors
from financehub_client._services import __all__ as _service_names
from financehub_client._version import __version__
from financehub_client.auth import ApiKeyAuth, AsyncPasswordSession, PasswordSession
from financehub_client.client import AsyncFinanceHubClient, FinanceHubClient
from financehub_client.errors import (
    AlreadyExistsError,
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    FinanceHubError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    QuotaViolation,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
)
from financehub_client.pagination import apages, apaginate, pages, paginate
from financehub_client.retry import RetryPolicy
from financehub_client.streams import AsyncResponseStream, ResponseStream
from financehub_client.values import (
    from_date,
    from_decimal,
    from_timestamp,
    to_date,
    to_decimal,
    to_duration,
    to_timestamp,
)

__all__ = [
    "AlreadyExistsError",
    "ApiKeyAuth",
    "AsyncFinanceHubClient",
    "AsyncPasswordSession",
    "AsyncResponseStream",
    "AsyncService",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "FieldViolation",
    "FinanceHubClient",
    "FinanceHubError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "PasswordSession",
    "PermissionDeniedError",
    "QuotaViolation",
    "ResourceExhaustedError",
    "ResponseStream",
    "RetryPolicy",
    "SyncService",
    "UnauthenticatedError",
    "UnavailableError",
    "__version__",
    "apages",
    "apaginate",
    "from_date",
    "from_decimal",
    "from_timestamp",
    "pages",
    "paginate",
    "to_date",
    "to_decimal",
    "to_duration",
    "to_timestamp",
    *_service_names,
]
