-- Stored backtests. The result is kept whole as the serialized financehub.v1.Backtest
-- message the caller received (trades, equity curve, metrics, the request itself); the
-- columns beside it are what listing filters and orders on.

CREATE TABLE backtests (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol       text NOT NULL REFERENCES securities (symbol),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The Backtest message without trades and equity curve: what ListBacktests returns.
    summary      bytea NOT NULL,
    -- The whole Backtest message: what GetBacktest returns.
    document     bytea NOT NULL
);

-- ListBacktests: the caller's, newest first, optionally for one symbol (keyset pages).
CREATE INDEX backtests_user_created_idx ON backtests (user_id, created_at DESC, id DESC);
CREATE INDEX backtests_user_symbol_created_idx
    ON backtests (user_id, symbol, created_at DESC, id DESC);
