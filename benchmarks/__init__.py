"""Benchmarks: synthetic workloads timed outside the test suite (``python -m benchmarks.join``)."""
