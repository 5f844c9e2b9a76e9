"""The dashboard's colours, one per message status, on a white page.

Chosen so that every mark has at least 3:1 contrast against the background (WCAG 1.4.11) and
every two statuses stay apart (CIE76 distance of at least 15) in normal vision and simulated
protanopia, deuteranopia and tritanopia; `tests/unit/test_palette.py` checks both. The
Okabe-Ito palette used before failed the first (yellow PROCESSING at 1.3:1) and greyed three
statuses alike under deuteranopia. Colour is never the only cue: stacked bars have separators
and every value is also written out.
"""

BACKGROUND = "#FFFFFF"
STATUS_COLOURS = {
    "COMPLETED": "#1D4A0C",
    "FAILED": "#F04F0A",
    "SKIPPED": "#B35D46",
    "CANCELLED": "#5C0049",
    "OTHER": "#666666",
    "PENDING": "#0019FB",
    "DISCOVERING": "#AE6EF1",
    "PROCESSING": "#15A09B",
}
# single-series lines (failure rate, sync health)
LINE = "#0019FB"
