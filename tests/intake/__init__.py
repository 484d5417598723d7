"""Tests of school tables from spreadsheets."""
