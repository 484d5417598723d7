"""standards_kernel: exact, explained, replayable scoring of education supervision standards."""

__version__ = "0.1.0"
