"""Metrics helpers shared by every app (each app defines its own metrics next to its code).

Under ``PROMETHEUS_MULTIPROC_DIR`` (set by ``runstack``) every process writes its samples to that
directory and Daphne's ``/metrics`` aggregates them, so worker metrics reach the same endpoint.
"""

from __future__ import annotations

# Milliseconds: from a few ms (cache hits) to the task time limit.
MS_BUCKETS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000)
