"""Benchmarks of the mock server against baselines measured in the same run.

Run ``python -m benchmarks.run --help``; figures and their meaning: docs/performance.md.
"""
