"""What an answer must never show a caller: a stack trace, the driver's or SQL's own words,
Python exception reprs. One list for every probe that looks (the fuzzers, the fault probes).

A marker the request itself carried is excused: a server may echo a fuzzed value back in
a field violation, and an echo of `SELECT ` the caller sent reveals nothing."""

# Seen in any answer, success or error.
TRACE_MARKERS = ("Traceback", 'File "', "psycopg", "syntax error at", "Exception", "Error(",
                 "redis.", "asyncio.")
# Seen in an error: SQL, or what Postgres says about it. (A successful answer may list
# text users stored, which may well say SELECT.)
SQL_MARKERS = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "relation ", "violates",
               "duplicate key", "invalid input syntax")


def leaked_marker(text: str, sent: str = "", *, error: bool = True) -> str | None:
    """The first marker of internals in `text` that `sent` (what the request said) does not
    explain, or None. `error`: `text` is an error's, so SQL markers count too."""
    sent = sent.lower()
    for marker in TRACE_MARKERS + (SQL_MARKERS if error else ()):
        if marker in text and marker.lower() not in sent:
            return marker
    return None
