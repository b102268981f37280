"""Charts of the report as inline SVG, drawn here so the file needs nothing to open.

Each function returns an ``<svg>`` element as :class:`markupsafe.Markup`; every
text in it (reason names, currency codes) is escaped. Sizes are in SVG user
units and the charts scale to their container (``viewBox``, width 100%).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from cashmatch.engine.schemas import AUTO, SUGGESTED, UNMATCHED

COLORS = {
    AUTO: "#2f7d46",
    "on_account": "#6b8fb3",
    SUGGESTED: "#d08a00",
    UNMATCHED: "#b3362f",
}
LABELS = {
    AUTO: "applied automatically",
    "on_account": "unapplied on account",
    SUGGESTED: "suggested",
    UNMATCHED: "unmatched",
}
_FONT = 'font-family="system-ui, sans-serif"'


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {_FONT}>'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, text: str, anchor: str = "start", size: int = 12, cls: str = ""
) -> str:
    css = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{css}>'
        f"{escape(text)}</text>"
    )


def _legend(keys: list[str], y: float) -> list[str]:
    out, x = [], 0.0
    for key in keys:
        out.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{COLORS[key]}"/>'
        )
        out.append(_text(x + 17, y, LABELS[key], size=12))
        x += 30 + 7.2 * len(LABELS[key])
    return out


def stacked_bars(
    rows: list[tuple[str, list[tuple[str, float, str]]]],
    title: str,
    width: int = 640,
    counted: bool = False,
) -> Markup:
    """Horizontal bars, one per row, each split into coloured parts with their labels.

    Args:
        rows: (row label, [(colour key, value, tooltip), ...]); each bar is
            drawn to 100% of the row's total.
        title: the chart's accessible title.
        counted: the values are counts: each part says how many beside its share.
    """
    bar, gap, left = 26, 14, 72
    keys = [key for key in COLORS if any(k == key and v for _, parts in rows for k, v, _ in parts)]
    height = len(rows) * (bar + gap) + 34
    body = _legend(keys, 14)
    for i, (label, parts) in enumerate(rows):
        y = 30 + i * (bar + gap)
        total = sum(v for _, v, _ in parts) or 1
        body.append(_text(0, y + bar / 2 + 4, label, size=13, cls="axis"))
        x = float(left)
        span = width - left
        for key, value, tip in parts:
            if value <= 0:
                continue
            w = span * value / total
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar}" '
                f'fill="{COLORS[key]}"><title>{escape(tip)}</title></rect>'
            )
            label = f"{value / total:.0%}"
            if counted:
                label = f"{value:,.0f} · {label}"
            if w > 7 * len(label) + 8:
                body.append(_text(x + w / 2, y + bar / 2 + 4, label, "middle", 12, "on-bar"))
            x += w
    return _svg(width, height, body, title)


def reason_bars(reasons: list[tuple[str, dict[str, int]]], title: str, width: int = 640) -> Markup:
    """One bar per reason, its length the payments, split by status; labels on the left.

    Args:
        reasons: (reason, {status: payments}), in the order drawn.
    """
    bar, gap, left, right = 16, 6, 250, 50
    most = max((sum(counts.values()) for _, counts in reasons), default=1) or 1
    height = len(reasons) * (bar + gap) + 30
    keys = [k for k in (AUTO, SUGGESTED, UNMATCHED) if any(c.get(k) for _, c in reasons)]
    body = _legend(keys, 14)
    for i, (reason, counts) in enumerate(reasons):
        y = 26 + i * (bar + gap)
        shown = reason if len(reason) <= 38 else reason[:37] + "…"
        body.append(f"<g><title>{escape(reason)}</title>")
        body.append(_text(left - 8, y + bar - 4, shown, "end", 12, "axis"))
        body.append("</g>")
        x = float(left)
        for status in (AUTO, SUGGESTED, UNMATCHED):
            n = counts.get(status, 0)
            if not n:
                continue
            w = (width - left - right) * n / most
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar}" '
                f'fill="{COLORS[status]}"><title>{escape(f"{reason}: {n} {status}")}</title></rect>'
            )
            x += w
        body.append(_text(x + 6, y + bar - 4, f"{sum(counts.values()):,}", size=12, cls="axis"))
    return _svg(width, height, body, title)


def histogram(
    series: dict[str, list[int]], bin_width: float, title: str, width: int = 640
) -> Markup:
    """Stacked vertical bars per bin of confidence (0..1), with a count axis."""
    height, left, bottom, top = 220, 44, 30, 26
    bins = max((len(v) for v in series.values()), default=0)
    totals = [sum(v[i] for v in series.values()) for i in range(bins)]
    most = max(totals, default=0) or 1
    plot_w, plot_h = width - left - 8, height - top - bottom
    step = plot_w / max(bins, 1)
    body = _legend([k for k in series if any(series[k])], 14)
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        body.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        body.append(_text(left - 6, y + 4, f"{round(most * fraction):,}", "end", 11, "axis"))
    for i in range(bins):
        if totals[i]:
            # Small bins stay readable beside a tall one.
            label_y = top + plot_h * (1 - totals[i] / most) - 4
            x_mid = left + (i + 0.5) * step
            body.append(_text(x_mid, max(label_y, top + 9), f"{totals[i]:,}", "middle", 10, "axis"))
        y = float(top + plot_h)
        for status, counts in series.items():
            n = counts[i]
            if not n:
                continue
            h = plot_h * n / most
            y -= h
            low, high = i * bin_width, (i + 1) * bin_width
            tip = f"{low:.2f}-{high:.2f}: {n} {status}"
            body.append(
                f'<rect x="{left + i * step + 1:.1f}" y="{y:.1f}" width="{step - 2:.1f}" '
                f'height="{h:.1f}" fill="{COLORS[status]}"><title>{escape(tip)}</title></rect>'
            )
    for i in range(0, bins + 1, max(bins // 5, 1)):
        body.append(
            _text(
                left + i * step, height - bottom + 16, f"{i * bin_width:.1f}", "middle", 11, "axis"
            )
        )
    return _svg(width, height, body, title)
