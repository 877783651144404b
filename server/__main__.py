"""`python -m server`: run the gRPC server (configuration from the environment).

One process by default per core: see server/workers.py.
"""

import asyncio
import sys

from server.app import serve
from server.config import ConfigError, settings_or_exit
from server.logging_setup import configure_logging
from server.workers import WORKER_FLAG, supervise, worker_index


def main(argv: list[str]) -> int:
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    index = worker_index(argv)
    if argv and index is None:
        print(f"usage: python -m server [{WORKER_FLAG} N]", file=sys.stderr)
        return 2
    try:
        if index is None and settings.workers > 1:
            return supervise(settings)
        if settings.event_loop == "uvloop":
            import uvloop

            uvloop.run(serve(settings, shared_port=index is not None))
        else:
            asyncio.run(serve(settings, shared_port=index is not None))
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
