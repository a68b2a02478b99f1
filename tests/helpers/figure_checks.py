"""Layout checks a paper figure must pass, on the rendered figure: sizes, font sizes, text that
overlaps other text or the data, text outside the canvas."""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
from matplotlib.collections import PathCollection
from matplotlib.path import Path
from matplotlib.text import Text

from harness.output.figures import COLUMN_IN, MIN_FONT_PT, WIDTH_IN


def _tick_labels(ax):
    """The tick labels matplotlib actually draws: ticks inside the view limits, label shown."""
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        scale = axis.get_transform()  # compared in scaled units: on a log axis 1e-14 is far below 1e-5
        lo, hi = sorted(scale.transform(list(axis.get_view_interval())))
        span = hi - lo
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            loc = tick.get_loc()
            if loc is None or not (lo - 1e-9 * abs(span) <= scale.transform([loc])[0] <= hi + 1e-9 * abs(span)):
                continue
            for label in (tick.label1, tick.label2):
                if label.get_visible() and label.get_text().strip():
                    out.append(label)
    return out


def visible_texts(fig):
    """(text, polygon in pixels) of every text drawn: rotated text as its rotated rectangle."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks, every_tick_label = [], set()
    for ax in fig.axes:
        if ax.get_visible() and ax.axison:
            ticks += _tick_labels(ax)
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                every_tick_label.update((id(tick.label1), id(tick.label2)))
    others = [t for t in fig.findobj(Text) if id(t) not in every_tick_label and t.get_visible()
              and t.get_text().strip() and (t.axes is None or t.axes.get_visible())]
    return [(t, _polygon(t, renderer)) for t in ticks + others]


def _polygon(t, renderer) -> Path:
    box = t.get_window_extent(renderer)
    theta = math.radians(t.get_rotation() % 180)
    if abs(math.sin(2 * theta)) < 1e-6:  # 0 or 90 degrees: the box is the text
        return _closed([(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)])
    rotation = t.get_rotation()
    t.set_rotation(0)
    flat = t.get_window_extent(renderer)
    t.set_rotation(rotation)
    w, h = flat.width, flat.height
    if theta > math.pi / 2:  # the mirror case: swap the roles of width and height
        w, h, theta = h, w, theta - math.pi / 2
    s, c = math.sin(theta), math.cos(theta)
    return _closed([(box.x0 + h * s, box.y0), (box.x1, box.y0 + w * s), (box.x1 - h * s, box.y1),
                    (box.x0, box.y0 + h * c)])


def _closed(corners) -> Path:
    return Path(corners + corners[:1], closed=True)


def problems(fig) -> list[str]:
    """Everything wrong with ``fig`` as a paper figure, as readable strings (empty: fine)."""
    found = []
    width = fig.get_figwidth()
    if not (abs(width - COLUMN_IN) < 0.01 or abs(width - WIDTH_IN) < 0.01):
        found.append(f"width {width:.2f} in is neither one column ({COLUMN_IN}) nor two ({WIDTH_IN})")
    texts = visible_texts(fig)
    canvas = fig.bbox
    for t, poly in texts:
        box = poly.get_extents()
        if t.get_fontsize() < MIN_FONT_PT - 1e-9:
            found.append(f"{t.get_text()!r} is {t.get_fontsize()} pt")
        if box.x0 < canvas.x0 - 1 or box.x1 > canvas.x1 + 1 or box.y0 < canvas.y0 - 1 or box.y1 > canvas.y1 + 1:
            found.append(f"{t.get_text()!r} runs off the canvas")
    for (a, pa), (b, pb) in itertools.combinations(texts, 2):
        if pa.get_extents().overlaps(pb.get_extents()) and pa.intersects_path(pb, filled=True) \
                and _area(pa.get_extents(), pb.get_extents()) > 1.0:
            found.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    # text inside an axes (annotations, legends) must not cover a data point of that axes
    for t, poly in texts:
        ax = t.axes
        if ax is None or t in (ax.title, ax.xaxis.label, ax.yaxis.label) or t in ax.get_xticklabels() \
                or t in ax.get_yticklabels():
            continue
        box = poly.get_extents()
        points = [ax.transData.transform(line.get_xydata()) for line in ax.get_lines()
                  if line.get_marker() not in (None, "None", "", " ") and len(line.get_xydata())]
        points += [ax.transData.transform(c.get_offsets()) for c in ax.collections
                   if isinstance(c, PathCollection) and len(c.get_offsets())]
        if any(box.contains(x, y) for xy in points for x, y in xy):
            found.append(f"{t.get_text()!r} covers a data point")
    return found


def _area(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0) * max(h, 0)


def check(fig) -> None:
    try:
        bad = problems(fig)
        assert not bad, "\n".join(bad)
    finally:
        plt.close(fig)
