"""Batch work: evaluating many counties (run), synthetic counties (synth), comparing two runs."""
