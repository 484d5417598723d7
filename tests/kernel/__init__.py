"""Tests of numbers, formulas, aggregation, scoring, loading, the registry."""
