"""Tests of gaps and the next-grade search."""
