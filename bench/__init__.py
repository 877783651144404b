"""`make bench` / `python -m bench`: the FinanceHub Pro benchmark (issues 4 and 5).

It prepares a dedicated database (`financehub_bench`) and Redis database (3), starts its own
server (`python -m server`) as a child process, and drives it from a separate load-generator
process (`python -m bench.loadgen`, grpc.aio). Results are printed as a table and written to
`bench/results/latest.json`. Not part of `make test`: speed is measured here, never by tests.
"""
