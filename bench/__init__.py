"""Benchmarks: `python3 dev.py bench` (or `python -m bench`) prints a table and writes JSON and Markdown."""
