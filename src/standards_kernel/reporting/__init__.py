"""Reporting: the words (zh/en), the text report and the self-contained HTML report."""
