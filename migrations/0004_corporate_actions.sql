-- Corporate actions as announced: dividends, bonus shares, splits, rights issues,
-- capital changes, listing events.
--
-- No foreign key to securities: the record outlives listings (delisted companies,
-- changed trading codes), so actions of symbols missing from the securities list
-- are kept; join on symbol to tell them apart.
CREATE TABLE corporate_actions (
    id                 bigserial PRIMARY KEY,
    symbol             text NOT NULL CHECK (symbol ~ '^[0-9]{4}$'),
    -- Our classification of action_type_ar (server/domain/corporate_actions.py).
    action_type        text NOT NULL CHECK (action_type IN ('CASH_DIVIDEND', 'BONUS_SHARES',
                                                            'SPLIT', 'RIGHTS_ISSUE',
                                                            'CAPITAL_REDUCTION', 'OTHER')),
    -- The type as the source publishes it, verbatim.
    action_type_ar     text NOT NULL,
    announcement_date  date NOT NULL,
    ex_date            date,
    record_date        date,
    payment_date       date,
    amount             numeric CHECK (amount >= 0),
    currency           char(3),
    description        text,
    -- Descriptions run to a kilobyte: the unique key holds their digest instead.
    description_md5    text GENERATED ALWAYS AS (md5(description)) STORED,
    source             text NOT NULL,
    imported_at        timestamptz NOT NULL DEFAULT now(),
    -- An action's identity across re-imports (CorporateAction.key); a missing
    -- ex-date or description is part of it, hence NULLS NOT DISTINCT.
    CONSTRAINT corporate_actions_natural_key UNIQUE NULLS NOT DISTINCT
        (symbol, action_type_ar, announcement_date, ex_date, description_md5)
);

CREATE INDEX corporate_actions_symbol_idx ON corporate_actions (symbol, ex_date DESC);
CREATE INDEX corporate_actions_type_idx ON corporate_actions (action_type, ex_date DESC);
