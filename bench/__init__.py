"""Benchmarks: they print figures and ratios; they never fail a build. Run with `make bench`."""
