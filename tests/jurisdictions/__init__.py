"""Tests of the built-in jurisdictions, their test cases, and plugins."""
