"""Reporting: the words (zh/en), the text report and the self-contained HTML report."""

from .html import evaluation_html, render_html
from .text import render_text
from .words import rectification

__all__ = [
    "evaluation_html",
    "rectification",
    "render_html",
    "render_text",
]
