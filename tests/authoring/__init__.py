"""Tests of test cases, the property kit, the scaffold, template, diff-standard."""
