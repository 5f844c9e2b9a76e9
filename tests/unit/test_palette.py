"""The dashboard's status colours: 3:1 against the page for every mark (WCAG 1.4.11), and every
two statuses apart in normal vision and under simulated colour-vision deficiencies."""

import itertools
import math

import pytest

from cf_bulk_sync.reporting.palette import BACKGROUND, LINE, STATUS_COLOURS

# Machado, Oliveira and Fernandes (2009), severity 1.0: linear RGB to what a dichromat sees.
SIMULATIONS = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
# CIE76 distance two statuses must keep: ~2.3 is just noticeable; 15 is plainly different
# for marks the size of a bar segment.
APART = 15.0


def linear(colour: str) -> tuple[float, ...]:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return tuple(channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))


def luminance(colour: str) -> float:
    r, g, b = linear(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, v)) for v in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))


def seen(colour: str, vision: str) -> tuple[float, float, float]:
    rgb = linear(colour)
    matrix = SIMULATIONS[vision]
    return lab(tuple(sum(m * c for m, c in zip(row, rgb, strict=True)) for row in matrix))


def closest_pair(colours: dict[str, str], vision: str) -> tuple[float, str, str]:
    return min(
        (math.dist(seen(ca, vision), seen(cb, vision)), a, b)
        for (a, ca), (b, cb) in itertools.combinations(colours.items(), 2)
    )


@pytest.mark.parametrize("status", [pytest.param(s, id=s) for s in STATUS_COLOURS])
def test_every_mark_has_3_to_1_against_the_page(status: str) -> None:
    assert contrast(STATUS_COLOURS[status], BACKGROUND) >= 3.0
    assert contrast(LINE, BACKGROUND) >= 3.0


@pytest.mark.parametrize("vision", [pytest.param(v, id=v) for v in SIMULATIONS])
def test_statuses_stay_apart_under_colour_vision_deficiencies(vision: str) -> None:
    distance, a, b = closest_pair(STATUS_COLOURS, vision)
    assert distance >= APART, f"{a} and {b} look alike under {vision} ({distance:.1f})"


def test_the_checks_catch_the_palette_the_issue_reported() -> None:
    """The Okabe-Ito colours used before: yellow PROCESSING at 1.3:1, and three statuses
    alike under deuteranopia (the measure finds what the issue saw)."""
    okabe_ito = {
        "COMPLETED": "#009E73",
        "FAILED": "#D55E00",
        "SKIPPED": "#E69F00",
        "CANCELLED": "#CC79A7",
        "PENDING": "#56B4E9",
        "DISCOVERING": "#0072B2",
        "PROCESSING": "#F0E442",
        "OTHER": "#999999",
    }
    assert round(contrast(okabe_ito["PROCESSING"], BACKGROUND), 2) == 1.32
    assert closest_pair(okabe_ito, "deuteranopia")[0] < APART
