"""The kernel's version: stamped into every result and record, so it lives below everything."""

__version__ = "0.1.0"
