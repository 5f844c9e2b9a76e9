"""Small SVG charts written as text: no chart library, nothing fetched, works offline."""

from collections.abc import Sequence
from html import escape

# Okabe-Ito: told apart with every common form of colour blindness.
STATUS_COLOURS = {
    "COMPLETED": "#009E73",
    "FAILED": "#D55E00",
    "SKIPPED": "#E69F00",
    "CANCELLED": "#CC79A7",
    "PENDING": "#56B4E9",
    "DISCOVERING": "#0072B2",
    "PROCESSING": "#F0E442",
    "OTHER": "#999999",
}
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def colour(status: str) -> str:
    return STATUS_COLOURS.get(status, STATUS_COLOURS["OTHER"])


def bars(items: Sequence[tuple[str, int]], label: str, width: int = 520) -> str:
    """Horizontal bars, one per item, with its count written beside it."""
    row, left = 26, 150
    top = max((v for _, v in items), default=0) or 1
    height = row * len(items) + 8
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for i, (name, value) in enumerate(items):
        y = 4 + i * row
        length = (width - left - 70) * value / top
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}"'
            f' fill="{colour(name)}"><title>{escape(name)}: {value}</title></rect>'
            f'<text x="{left + length + 6:.1f}" y="{y + 16}" class="value">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked(counts: dict[str, int], label: str, width: int = 300, height: int = 16) -> str:
    """One bar split by status, in proportion; a grey outline when there is nothing yet."""
    total = sum(counts.values())
    parts = [
        f'<svg class="stack" role="img" aria-label="{escape(label)}" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="none" stroke="#bbb"/>'
    ]
    x = 0.0
    for status, value in counts.items():
        if not value or not total:
            continue
        length = width * value / total
        parts.append(
            f'<rect x="{x:.2f}" y="0" width="{length:.2f}" height="{height}"'
            f' fill="{colour(status)}"><title>{status}: {value}</title></rect>'
        )
        x += length
    parts.append("</svg>")
    return "".join(parts)


def lines(
    series: dict[str, list[tuple[str, float]]],
    label: str,
    width: int = 720,
    height: int = 240,
    y_max: float | None = None,
) -> str:
    """A line per series over shared x labels (dates or times), with axes and a legend."""
    xs = sorted({x for points in series.values() for x, _ in points})
    top = y_max or max((v for points in series.values() for _, v in points), default=0) or 1
    left, bottom, right, legend = 48, 28, 12, 18 * len(series)
    height += legend + 12  # the legend gets its own room below the axis labels
    plot_w, plot_h = width - left - right, height - bottom - 10 - legend
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}">',
        f'<line x1="{left}" y1="{10 + plot_h}" x2="{left + plot_w}" y2="{10 + plot_h}"'
        ' stroke="#666"/>',
        f'<line x1="{left}" y1="10" x2="{left}" y2="{10 + plot_h}" stroke="#666"/>',
        f'<text x="{left - 6}" y="16" text-anchor="end">{_short(top)}</text>',
        f'<text x="{left - 6}" y="{10 + plot_h}" text-anchor="end">0</text>',
    ]
    position = {x: left + (plot_w * i / max(len(xs) - 1, 1)) for i, x in enumerate(xs)}
    for x, anchor in (
        ((xs[0], "start"), (xs[-1], "end")) if len(xs) > 1 else (((xs[0], "start"),) if xs else ())
    ):
        parts.append(
            f'<text x="{position[x]:.1f}" y="{10 + plot_h + 18}"'
            f' text-anchor="{anchor}">{escape(x)}</text>'
        )
    for i, (name, points) in enumerate(series.items()):
        stroke = LINE_COLOURS[i % len(LINE_COLOURS)]
        coords = " ".join(
            f"{position[x]:.1f},{10 + plot_h - plot_h * v / top:.1f}" for x, v in sorted(points)
        )
        parts.append(
            f'<polyline fill="none" stroke="{stroke}" stroke-width="2"'
            f' points="{coords}"><title>{escape(name)}</title></polyline>'
        )
        for x, v in points:
            parts.append(
                f'<circle cx="{position[x]:.1f}" cy="{10 + plot_h - plot_h * v / top:.1f}"'
                f' r="3" fill="{stroke}"><title>{escape(name)} {escape(x)}: {v:g}'
                "</title></circle>"
            )
        y = height - legend + 18 * i + 8
        parts.append(
            f'<rect x="{left}" y="{y - 9}" width="14" height="4" fill="{stroke}"/>'
            f'<text x="{left + 20}" y="{y - 4}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(value: float) -> str:
    return f"{value:.0%}" if value <= 1 and isinstance(value, float) else f"{value:g}"
