-- Paper trading: one SAR cash account per user, its ledger, orders, fills and positions.
-- Money is NUMERIC (exact). `cash` is the ledger's running sum, kept in the account row so
-- that placing an order locks one row (SELECT ... FOR UPDATE) and reads the balance; a
-- test checks that it always equals the sum of the ledger.
--
-- A reset starts a new `epoch`: open orders are cancelled, positions cleared, cash set to
-- the starting amount by a ledger entry; the old orders and fills stay (client order ids
-- are unique per account for ever) but are out of the account's views.

CREATE TABLE trading_accounts (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    epoch          integer NOT NULL DEFAULT 0,
    starting_cash  numeric(20, 2) NOT NULL CHECK (starting_cash > 0),
    cash           numeric(20, 2) NOT NULL CHECK (cash >= 0),
    -- Cash held back for open buy orders (their cost at the limit, costs included).
    reserved_cash  numeric(20, 2) NOT NULL DEFAULT 0 CHECK (reserved_cash >= 0),
    -- Since the last reset, after commission and VAT.
    realized_pnl   numeric(20, 2) NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    reset_at       timestamptz
);

CREATE TABLE orders (
    id                  uuid PRIMARY KEY,
    -- Insertion order: lists page on it (timestamps can tie).
    seq                 bigserial UNIQUE,
    account_id          uuid NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
    epoch               integer NOT NULL,
    client_order_id     text NOT NULL,
    -- What the client asked for, canonically: a retry with the same id must match it.
    request_fingerprint text NOT NULL,
    symbol              text NOT NULL REFERENCES securities (symbol),
    side                text NOT NULL CHECK (side IN ('BUY', 'SELL')),
    type                text NOT NULL CHECK (type IN ('MARKET', 'LIMIT')),
    time_in_force       text NOT NULL CHECK (time_in_force IN ('DAY', 'GTC', 'IOC', 'FOK')),
    quantity            bigint NOT NULL CHECK (quantity >= 1),
    filled_quantity     bigint NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    limit_price         numeric(20, 4),
    average_fill_price  numeric(20, 4),
    status              text NOT NULL CHECK (status IN ('ACCEPTED', 'NEW', 'PARTIALLY_FILLED',
                                                        'FILLED', 'CANCELED', 'EXPIRED',
                                                        'REJECTED')),
    status_reason       text NOT NULL DEFAULT '',
    -- Cash this order holds back while open (buys), released when it closes.
    reserved_cash       numeric(20, 2) NOT NULL DEFAULT 0 CHECK (reserved_cash >= 0),
    trading_day         date NOT NULL,
    expires_at          timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    filled_at           timestamptz,
    canceled_at         timestamptz,
    expired_at          timestamptz,
    UNIQUE (account_id, client_order_id),
    CHECK ((type = 'LIMIT') = (limit_price IS NOT NULL))
);

-- ListOrders: the account's orders of the current epoch, newest first (keyset pages).
CREATE INDEX orders_account_seq_idx ON orders (account_id, epoch, seq DESC);
-- The matcher: open orders only.
CREATE INDEX orders_open_idx ON orders (symbol, created_at)
    WHERE status IN ('ACCEPTED', 'NEW', 'PARTIALLY_FILLED');

CREATE TABLE fills (
    id           uuid PRIMARY KEY,
    seq          bigserial UNIQUE,
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    account_id   uuid NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
    epoch        integer NOT NULL,
    symbol       text NOT NULL,
    side         text NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity     bigint NOT NULL CHECK (quantity >= 1),
    price        numeric(20, 4) NOT NULL CHECK (price > 0),
    gross        numeric(20, 4) NOT NULL,
    commission   numeric(20, 2) NOT NULL,
    vat          numeric(20, 2) NOT NULL,
    net          numeric(20, 4) NOT NULL,
    filled_at    timestamptz NOT NULL
);

CREATE INDEX fills_account_seq_idx ON fills (account_id, epoch, seq DESC);

-- Every cash movement: the starting deposit, each fill's net amount, each reset's top-up.
CREATE TABLE ledger_entries (
    id          bigserial PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('DEPOSIT', 'FILL', 'RESET')),
    amount      numeric(20, 4) NOT NULL,
    fill_id     uuid REFERENCES fills (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id, id);

CREATE TABLE positions (
    account_id        uuid NOT NULL REFERENCES trading_accounts (id) ON DELETE CASCADE,
    symbol            text NOT NULL REFERENCES securities (symbol),
    quantity          bigint NOT NULL CHECK (quantity >= 1),
    -- Shares claimed by open sell orders.
    reserved_quantity bigint NOT NULL DEFAULT 0 CHECK (reserved_quantity >= 0),
    cost_basis        numeric(20, 2) NOT NULL,
    PRIMARY KEY (account_id, symbol),
    CHECK (reserved_quantity <= quantity)
);
