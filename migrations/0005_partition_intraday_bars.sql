-- Intraday bars in monthly partitions (PARTITION BY RANGE (bar_time)), so that retention
-- drops whole months (FINANCEHUB_INTRADAY_RETENTION_MONTHS) instead of deleting rows, and a
-- query for one symbol's day reads one month's table.
--
-- Months are Asia/Riyadh calendar months: trading days are Riyadh dates, so a day never
-- straddles two partitions. Partitions are named intraday_bars_YYYY_MM.
--
-- There is no DEFAULT partition: a bar for a month without a partition is refused rather
-- than parked where it would later block creating that month's partition. Writers call
-- ensure_intraday_partitions first (IntradayBarRepository.replace_day does).

ALTER TABLE intraday_bars RENAME TO intraday_bars_unpartitioned;
ALTER INDEX intraday_bars_pkey RENAME TO intraday_bars_unpartitioned_pkey;

-- As in 0003, with the constraint names 0003's table got (named here: the old table still
-- holds them, so generated names would differ). The primary key already holds bar_time, as
-- a partitioned table's must.
CREATE TABLE intraday_bars (
    symbol    text NOT NULL,
    bar_time  timestamptz NOT NULL,
    open      double precision NOT NULL,
    high      double precision NOT NULL,
    low       double precision NOT NULL,
    close     double precision NOT NULL,
    volume    bigint NOT NULL,
    origin    text NOT NULL,
    CONSTRAINT intraday_bars_pkey PRIMARY KEY (symbol, bar_time),
    CONSTRAINT intraday_bars_symbol_fkey FOREIGN KEY (symbol)
        REFERENCES securities (symbol) ON DELETE CASCADE,
    CONSTRAINT intraday_bars_volume_check CHECK (volume >= 0),
    CONSTRAINT intraday_bars_origin_check CHECK (origin IN ('REAL', 'SYNTHETIC')),
    CONSTRAINT intraday_bars_check
        CHECK (low <= open AND open <= high AND low <= close AND close <= high)
) PARTITION BY RANGE (bar_time);

-- Creates the missing monthly partitions from first_bar's month to last_bar's, inside the
-- caller's transaction. Each partition is created as a plain table and then attached:
-- ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on intraday_bars, where CREATE TABLE ...
-- PARTITION OF would take ACCESS EXCLUSIVE and block every chart read until the writer
-- commits. Writers reaching a new month together queue on an advisory lock (the first
-- creates the month, the others then find it); when every month exists, no lock is taken.
CREATE FUNCTION ensure_intraday_partitions(first_bar timestamptz, last_bar timestamptz)
RETURNS void
LANGUAGE plpgsql
STRICT
AS $$
DECLARE
    month_start date := date_trunc('month', first_bar AT TIME ZONE 'Asia/Riyadh');
    last_month date := date_trunc('month', last_bar AT TIME ZONE 'Asia/Riyadh');
    partition_name text;
BEGIN
    WHILE month_start <= last_month LOOP
        partition_name := 'intraday_bars_' || to_char(month_start, 'YYYY_MM');
        IF to_regclass(partition_name) IS NULL THEN
            -- Key: the first 8 bytes of sha256('financehub:intraday-partitions').
            PERFORM pg_advisory_xact_lock(6083022617069901186);
            -- IF NOT EXISTS: another writer may have created it while this one waited.
            EXECUTE format('CREATE TABLE IF NOT EXISTS %I '
                           '(LIKE intraday_bars INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                           partition_name);
            IF NOT EXISTS (SELECT FROM pg_inherits
                           WHERE inhrelid = to_regclass(partition_name)) THEN
                EXECUTE format('ALTER TABLE intraday_bars ATTACH PARTITION %I '
                               'FOR VALUES FROM (%L) TO (%L)',
                               partition_name,
                               month_start::timestamp AT TIME ZONE 'Asia/Riyadh',
                               (month_start + interval '1 month') AT TIME ZONE 'Asia/Riyadh');
            END IF;
        END IF;
        month_start := month_start + interval '1 month';
    END LOOP;
END
$$;

-- The months the existing bars need (nothing when there are none: the function is STRICT),
-- and this month and the next ahead of their first bar.
SELECT ensure_intraday_partitions(min(bar_time), max(bar_time)) FROM intraday_bars_unpartitioned;
SELECT ensure_intraday_partitions(now(), now() + interval '1 month');

INSERT INTO intraday_bars (symbol, bar_time, open, high, low, close, volume, origin)
SELECT symbol, bar_time, open, high, low, close, volume, origin FROM intraday_bars_unpartitioned;

-- Privileges granted on the old table (by an operator: the migrations grant none) carry
-- over to the new one; the partitions need none, as access goes through the parent.
DO $$
DECLARE
    granted record;
BEGIN
    FOR granted IN
        SELECT acl.privilege_type, acl.is_grantable,
               CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                    ELSE quote_ident(pg_get_userbyid(acl.grantee)) END AS grantee
        FROM pg_class c, aclexplode(c.relacl) AS acl
        WHERE c.oid = 'intraday_bars_unpartitioned'::regclass AND acl.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON intraday_bars TO %s%s', granted.privilege_type,
                       granted.grantee,
                       CASE WHEN granted.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;

DROP TABLE intraday_bars_unpartitioned;

-- Statistics for the new table and its partitions at once: autovacuum analyzes partitions
-- as they fill, but never a partitioned parent (whose statistics estimate whole-table reads).
ANALYZE intraday_bars;
