"""The activity chart's SVG: scales, stacked bars, the broken latency line, and escaping."""

import pytest

from marketlink.web.console.charts import ChartPoint, activity_chart, nice_ceiling, summary

SERIES = ("SUCCEEDED", "PENDING", "FAILED", "TRANSPORT_ERROR")
POINTS = [
    ChartPoint("00:00", (2, 0, 1, 0), 120),
    ChartPoint("01:00", (0, 0, 0, 0), None),
    ChartPoint("02:00", (1, 0, 0, 0), 40),
    ChartPoint("03:00", (0, 0, 0, 3), 80),
]


@pytest.mark.parametrize(("value", "ceiling"), [
    (0, 1), (1, 1), (1.5, 2), (3, 5), (5, 5), (6, 10), (11, 20), (120, 200), (501, 1000)])
def test_axes_end_at_one_two_or_five_times_a_power_of_ten(value: float, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling


def test_the_svg_is_an_image_labelled_by_its_title_and_summary() -> None:
    svg = activity_chart(POINTS, SERIES, "Host", "act")

    lines = svg.splitlines()
    assert lines[:3] == [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 260" class="chart" role="img" '
        'aria-labelledby="act-title act-desc">',
        '<title id="act-title">Host</title>',
        '<desc id="act-desc">4 periods; attempts: SUCCEEDED 3, PENDING 0, FAILED 1, '
        'TRANSPORT_ERROR 3; highest average latency 120 ms.</desc>',
    ]
    assert lines[-1] == "</svg>"


def test_axes_are_labelled_with_their_ceilings() -> None:
    svg = activity_chart(POINTS, SERIES, "Host", "act")

    assert '<text x="42" y="20" text-anchor="end" font-size="11">5</text>' in svg  # 3 attempts at most
    assert '<text x="670" y="20" font-size="11" fill="#0b57d0">200 ms</text>' in svg
    assert '<text x="48" y="216" font-size="11">00:00</text>' in svg  # a label every 6 points
    assert "01:00</text>" not in svg.split("<rect")[0]


def test_bars_stack_series_from_the_bottom_and_skip_zero_counts() -> None:
    svg = activity_chart(POINTS, SERIES, "Host", "act")

    bars = [line for line in svg.splitlines() if line.startswith("<rect") and "<title>" in line]
    assert bars == [
        '<rect x="71.1" y="126.4" width="107.8" height="73.6" fill="#0a6b2d"><title>00:00 SUCCEEDED: 2</title></rect>',
        '<rect x="71.1" y="89.6" width="107.8" height="36.8" fill="#b00020"><title>00:00 FAILED: 1</title></rect>',
        '<rect x="379.1" y="163.2" width="107.8" height="36.8" fill="#0a6b2d"><title>02:00 SUCCEEDED: 1</title></rect>',
        '<rect x="533.1" y="89.6" width="107.8" height="110.4" fill="#e37400"><title>03:00 TRANSPORT_ERROR: 3</title></rect>',
    ]


def test_the_latency_line_breaks_where_a_point_has_no_latency() -> None:
    svg = activity_chart(POINTS, SERIES, "Host", "act")

    assert [line for line in svg.splitlines() if line.startswith("<polyline")] == [
        '<polyline points="433,163.2 587,126.4" fill="none" stroke="#0b57d0" stroke-width="2"/>']
    assert svg.count("<circle ") == 3
    assert '<circle cx="125" cy="89.6" r="2.5" fill="#0b57d0"><title>00:00 average 120 ms</title></circle>' in svg


def test_text_is_escaped() -> None:
    svg = activity_chart([ChartPoint("<b>", (1,), 5)], ("A&B",), 'Vendor "<script>"', "c")

    assert '<title id="c-title">Vendor &quot;&lt;script&gt;&quot;</title>' in svg
    assert "<title>&lt;b&gt; A&amp;B: 1</title>" in svg
    assert "<script>" not in svg and "<b>" not in svg


def test_no_activity_draws_empty_axes() -> None:
    points = [ChartPoint(f"{h:02}:00", (0, 0, 0, 0), None) for h in range(24)]

    svg = activity_chart(points, SERIES, "Idle", "idle")

    assert "<polyline" not in svg and "<circle" not in svg
    assert '<text x="42" y="20" text-anchor="end" font-size="11">1</text>' in svg
    assert summary(points, SERIES) == ("24 periods; attempts: SUCCEEDED 0, PENDING 0, FAILED 0, "
                                       "TRANSPORT_ERROR 0; no latency recorded.")
