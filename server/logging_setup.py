"""JSON log lines on stderr, each carrying the request id of the call it belongs to."""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from server.request_context import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger",
                       "process": "pid"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    ))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
