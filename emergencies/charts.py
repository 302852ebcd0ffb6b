"""The chart of the staff report page: a year's monthly percentages, drawn as inline SVG on the server.

This module works out the geometry; the template `emergencies/reports/_chart.html` draws it
(escaped like any template output). No script and no external asset is involved, so the chart
prints and works with JavaScript off.
"""

from __future__ import annotations

from .reports import CLASSES, TARGET_PERCENT

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
BAR_GAP = 2


def _n(value: float) -> str:
    """A coordinate as SVG wants it, whatever the locale would print: 123.4."""
    return f"{value:.1f}"


def _y(percent: float, shift: float = 0) -> str:
    """The height of `percent` on the axis (shifted up by `shift` pixels, for a label)."""
    return _n(TOP + PLOT_HEIGHT * (1 - percent / 100) - shift)


def monthly_chart(report: dict) -> dict:
    """Bars of the percentage attended in time, per month and class, against the 97% line.

    `report` is a `reports.standard_of_service` result; a month with no decided emergency of a
    class has no bar, and says so in the bar's title.
    """
    months = report["months"]
    slot = PLOT_WIDTH / len(months)
    bar_width = slot * 0.32
    groups = []
    for index, month in enumerate(months):
        left = LEFT + index * slot + (slot - 2 * bar_width - BAR_GAP) / 2
        bars = []
        for position, classification in enumerate(CLASSES):
            figures = month[classification]
            percent = figures["percent_in_time"]
            title = f"{month['period']['label']}, {classification}: " + (
                f"{percent:.2f}% ({figures['attended_in_time']} of {figures['counted']})"
                if percent is not None
                else "no emergencies"
            )
            bars.append(
                {
                    "classification": classification,
                    "x": _n(left + position * (bar_width + BAR_GAP)),
                    "y": _y(percent) if percent is not None else None,
                    "height": _n(PLOT_HEIGHT * percent / 100) if percent is not None else None,
                    "title": title,
                }
            )
        groups.append(
            {
                "label": _short_month(month["period"]["key"]),
                "label_x": _n(LEFT + index * slot + slot / 2),
                "bars": bars,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "axis_x": LEFT - 6,
        "label_y": TOP + PLOT_HEIGHT + 18,
        "no_data_y": TOP + PLOT_HEIGHT - 4,
        "bar_width": _n(bar_width),
        "gridlines": [{"y": _y(value), "label": f"{value}%"} for value in (0, 25, 50, 75, 100)],
        "target": {
            "y": _y(TARGET_PERCENT),
            "label_y": _y(TARGET_PERCENT, shift=4),
            "label": f"{TARGET_PERCENT}% target",
        },
        "groups": groups,
        "title": f"Emergencies attended within the standard, by month: {report['period']['label']}",
    }


def _short_month(key: str) -> str:
    return ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[int(key[5:7]) - 1]
