"""Run the paper broker's matching pass on a schedule (one process at a time matches:
the pass takes an advisory lock)."""

import logging

import psycopg
from redis.exceptions import RedisError

from server.broker.paper_broker import PaperBroker
from server.realtime.background import PeriodicTask

log = logging.getLogger(__name__)


def order_matcher(broker: PaperBroker, interval_s: float) -> PeriodicTask:
    return PeriodicTask("order matching", broker.match_open_orders, interval_s,
                        retried=(psycopg.Error, RedisError, OSError), logger=log)
