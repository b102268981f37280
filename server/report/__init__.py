"""Reports of a matching run a person reads: figures by currency and the HTML report.

Example:
    >>> from cashmatch.server.report import RunInfo, compute_figures, render_report
"""

from cashmatch.server.report.figures import Figure, Figures, compute_figures, summary_lines
from cashmatch.server.report.html import RunInfo, display_amount, render_report

__all__ = [
    "Figure",
    "Figures",
    "RunInfo",
    "compute_figures",
    "display_amount",
    "render_report",
    "summary_lines",
]
