"""Charts as inline SVG (no script, no other origin: the console's CSP allows nothing else).

``activity_chart`` draws, per point of time, stacked bars of counts per series (left axis)
and a line of latency (right axis, broken where a point has none). It is a pure function of
its points; every text it writes is escaped here, since the page includes it as markup."""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 664, 16, 200  # the plot area
LEGEND_Y = 248
LABEL_EVERY = 6  # an x label every this many points
COLORS = ("#0a6b2d", "#6b6b6b", "#b00020", "#e37400", "#6f3fb5")  # per series, in order
LATENCY_COLOR = "#0b57d0"


@dataclass(frozen=True)
class ChartPoint:
    label: str  # the x axis' text for this point, e.g. "14:00"
    counts: tuple[int, ...]  # one per series
    latency_ms: int | None


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def activity_chart(points: Sequence[ChartPoint], series: Sequence[str], title: str,
                   chart_id: str) -> str:
    top_count = nice_ceiling(max((sum(p.counts) for p in points), default=0))
    top_ms = nice_ceiling(max((p.latency_ms or 0 for p in points), default=0))
    slot = (RIGHT - LEFT) / max(len(points), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary(points, series))}</desc>',
        *_axes(points, slot, top_count, top_ms),
        *_bars(points, series, slot, top_count),
        *_latency(points, slot, top_ms),
        *_legend(series),
        "</svg>",
    ]
    return "\n".join(parts)


def summary(points: Sequence[ChartPoint], series: Sequence[str]) -> str:
    """The chart in words (its ``desc``): totals per series and the highest latency."""
    totals = [sum(p.counts[i] for p in points) for i in range(len(series))]
    counted = ", ".join(f"{name} {total}" for name, total in zip(series, totals))
    slowest = max((p.latency_ms for p in points if p.latency_ms is not None), default=None)
    latency = f"highest average latency {slowest} ms" if slowest is not None else "no latency recorded"
    return f"{len(points)} periods; attempts: {counted}; {latency}."


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _y(value: float, top: int) -> float:
    return BOTTOM - value / top * (BOTTOM - TOP)


def _axes(points: Sequence[ChartPoint], slot: float, top_count: int, top_ms: int) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="#5a5a5a"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{RIGHT}" y2="{TOP}" stroke="#d0d0d0"/>',
        f'<text x="{LEFT - 6}" y="{BOTTOM + 4}" text-anchor="end" font-size="11">0</text>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11">{top_count}</text>',
        f'<text x="{RIGHT + 6}" y="{BOTTOM + 4}" font-size="11" fill="{LATENCY_COLOR}">0 ms</text>',
        f'<text x="{RIGHT + 6}" y="{TOP + 4}" font-size="11" fill="{LATENCY_COLOR}">{top_ms} ms</text>',
    ]
    for index in range(0, len(points), LABEL_EVERY):
        x = _n(LEFT + index * slot)
        parts.append(f'<text x="{x}" y="{BOTTOM + 16}" font-size="11">{escape(points[index].label)}</text>')
    return parts


def _bars(points: Sequence[ChartPoint], series: Sequence[str], slot: float, top: int) -> list[str]:
    parts = []
    for index, point in enumerate(points):
        x, base = LEFT + index * slot + slot * 0.15, 0
        for number, count in enumerate(point.counts):
            if count:
                y = _y(base + count, top)
                parts.append(
                    f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(slot * 0.7)}" '
                    f'height="{_n(_y(base, top) - y)}" fill="{COLORS[number % len(COLORS)]}">'
                    f'<title>{escape(point.label)} {escape(series[number])}: {count}</title></rect>')
                base += count
    return parts


def _latency(points: Sequence[ChartPoint], slot: float, top: int) -> list[str]:
    """One polyline per run of points that have a latency, and a dot on each point."""
    runs: list[list[str]] = [[]]
    dots = []
    for index, point in enumerate(points):
        if point.latency_ms is None:
            runs.append([])
            continue
        x, y = _n(LEFT + (index + 0.5) * slot), _n(_y(point.latency_ms, top))
        runs[-1].append(f"{x},{y}")
        dots.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{LATENCY_COLOR}">'
                    f'<title>{escape(point.label)} average {point.latency_ms} ms</title></circle>')
    lines = [f'<polyline points="{" ".join(run)}" fill="none" stroke="{LATENCY_COLOR}" '
             f'stroke-width="2"/>' for run in runs if len(run) > 1]
    return lines + dots


def _legend(series: Sequence[str]) -> list[str]:
    parts, x = [], LEFT
    for number, name in enumerate(series):
        parts.append(f'<rect x="{x}" y="{LEGEND_Y - 9}" width="10" height="10" '
                     f'fill="{COLORS[number % len(COLORS)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{LEGEND_Y}" font-size="11">{escape(name)}</text>')
        x += 14 + 8 * len(name) + 16
    parts.append(f'<line x1="{x}" y1="{LEGEND_Y - 4}" x2="{x + 16}" y2="{LEGEND_Y - 4}" '
                 f'stroke="{LATENCY_COLOR}" stroke-width="2"/>')
    parts.append(f'<text x="{x + 20}" y="{LEGEND_Y}" font-size="11">average latency (ms)</text>')
    return parts
