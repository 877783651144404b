"""`python -m server`: run the gRPC server (configuration from the environment)."""

import asyncio
import sys

from server.app import serve
from server.config import ConfigError, settings_or_exit
from server.logging_setup import configure_logging


def main() -> int:
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
