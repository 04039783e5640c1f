"""The collector: a small web service that stores submitted summaries and serves k-anonymous aggregates.

:mod:`~pathprobe.collector.app` (HTTP API and dashboard), :mod:`~pathprobe.collector.storage` (SQLite or
PostgreSQL), :mod:`~pathprobe.collector.migrations` (schema versions), :mod:`~pathprobe.collector.tokens`
(bearer tokens), :mod:`~pathprobe.collector.synthetic` (made-up summaries for benchmarks, tests and demos).
"""
