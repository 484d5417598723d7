"""Tests of the text and HTML reports."""
