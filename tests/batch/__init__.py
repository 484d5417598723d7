"""Tests of evaluate-batch, synth, compare."""
