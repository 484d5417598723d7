"""Tests of the command line and the HTTP server."""
