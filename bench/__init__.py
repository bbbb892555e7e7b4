"""`make bench`: direct invoke against API Gateway, handler overhead, cold
start, fleet scale and cost per million rides, measured side by side.

Run with `python -m bench` (or `make bench`, `make bench QUICK=1`). Each
module does one job; `bench.__main__` runs the sections in order and
`bench.report` writes what they found.
"""
