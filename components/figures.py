"""Pure plotly figure builders (data in, figure out) so tests can check the figure's data."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from portal.probes import LatencySample


def latency_figure(samples: Sequence[LatencySample]) -> go.Figure:
    figure = go.Figure()
    chat = [s for s in samples if s.call == "chat" and s.ok]
    embeddings = [s for s in samples if s.call == "embeddings" and s.ok]
    if chat:
        figure.add_bar(name="chat: time to first token (ms)", x=[f"run {s.run}" for s in chat], y=[s.time_to_first_token_ms or 0 for s in chat])
        figure.add_bar(name="chat: total (ms)", x=[f"run {s.run}" for s in chat], y=[s.total_ms for s in chat])
    if embeddings:
        figure.add_bar(name="embeddings (ms)", x=[f"run {s.run}" for s in embeddings], y=[s.total_ms for s in embeddings])
    figure.update_layout(barmode="group", yaxis_title="milliseconds", height=320, margin=dict(t=30, b=30, l=40, r=10))
    return figure


# -- embeddings explorer ----------------------------------------------------------------------------

WEBGL_MIN_POINTS = 1_000  # from here on the 2D scatter uses Scattergl (SVG slows down past a few thousand)
MAX_COLOUR_GROUPS = 20  # more distinct labels than this are folded into "other"
HOVER_CHARS = 240
HOVER_LINE = 70
OTHER_GROUP = "other"
POINT_SIZE, LARGE_SET_POINT_SIZE, POINT_SIZE_3D = 10, 6, 5  # px; the large-set size from 2,000 points
HUGE_SET_POINTS, HUGE_SET_POINT_SIZE = 20_000, 4  # from here on: smaller points without an outline (bench 7)
POINT_OPACITY = 0.9
OTHER_COLOUR = "#9e9e9e"
HEATMAP_ROW_LABEL_CHARS = 28  # the y axis names rows "n: start of the text"; the x axis only numbers them


def group_palette(count: int) -> list[str]:
    """Distinct colours for `count` groups: plotly's 10 up to 10, then Dark24's 24 (never repeating
    a colour among the at most MAX_COLOUR_GROUPS groups plus "other")."""
    palette = plotly.colors.qualitative.Plotly if count <= 10 else plotly.colors.qualitative.Dark24
    return [palette[index % len(palette)] for index in range(count)]


def hover_text(text: str, limit: int = HOVER_CHARS, line: int = HOVER_LINE) -> str:
    """Text for a hover box: escaped (plotly renders a little HTML), cut, and wrapped with <br>.

    Lines are filled greedily with whole words up to `line` characters (a longer word stands alone),
    in one regular-expression pass (100,000 hover texts take a fraction of a second)."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    short = short.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    words = " ".join(short.split())
    if len(words) <= line:
        return words
    return "<br>".join(_wrapper(line).findall(words))


@functools.cache
def _wrapper(line: int) -> re.Pattern[str]:
    # The longest run of whole words of at most `line` characters (it ends before a space or the end),
    # or else one word longer than a line.
    return re.compile(rf"\S.{{0,{line - 1}}}(?= |$)|\S+")


def colour_groups(values: Sequence[str], limit: int = MAX_COLOUR_GROUPS) -> list[str]:
    """The group of each point; beyond the `limit` largest groups, everything is "other"."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    kept = set(sorted(counts, key=lambda value: (-counts[value], value))[:limit])
    return [value if value in kept else OTHER_GROUP for value in values]


def scatter_figure(
    coords,
    texts: Sequence[str],
    groups: Sequence[str],
    *,
    colour_title: str = "cluster",
    highlight: dict[int, float] | None = None,
    group_labels: dict[str, str] | None = None,
    title: str | None = None,
    webgl_min_points: int = WEBGL_MIN_POINTS,
    point_ids: bool = False,
) -> go.Figure:
    """A 2D or 3D scatter of projected points, one trace per colour group, hover = the text.

    `coords` is (n, 2) or (n, 3); `texts` and `groups` align with it. `highlight` maps a row of
    `coords` to a score (e.g. a query's nearest neighbours), drawn as a separate ringed trace.
    `group_labels` (e.g. a cluster's distinctive words) are written on the map at the median of
    their group's points. With `point_ids`, each point carries its row of `coords` as customdata,
    so a click (Streamlit's selection event) says which text it was.
    """
    three_d = coords.shape[1] == 3
    webgl = not three_d and len(coords) >= webgl_min_points
    figure = go.Figure()
    grouped = colour_groups([str(g) for g in groups])
    order = sorted(set(grouped), key=lambda g: (g == OTHER_GROUP, _natural_key(g)))
    named = [g for g in order if g != OTHER_GROUP]
    colours = dict(zip(named, group_palette(len(named))), **{OTHER_GROUP: OTHER_COLOUR})
    huge = len(coords) >= HUGE_SET_POINTS
    size = POINT_SIZE_3D if three_d else (POINT_SIZE if len(coords) < 2_000 else HUGE_SET_POINT_SIZE if huge else LARGE_SET_POINT_SIZE)
    # NumPy arrays all the way: plotly takes them as they are, where lists are checked item by item
    # (for 100,000 points that is most of the figure's time).
    group_of = np.asarray(grouped, dtype=object)
    hovers = np.asarray([hover_text(text) for text in texts], dtype=object)
    for group in order:
        members = np.flatnonzero(group_of == group)
        group_hover = hovers[members]
        common: dict[str, Any] = dict(name=str(group), mode="markers", hovertext=group_hover, hovertemplate="%{hovertext}<extra>%{fullData.name}</extra>")
        if point_ids:
            common["customdata"] = members
        # A thin white outline keeps touching points apart and pale colours visible on the white plot.
        # Past HUGE_SET_POINTS the points cover each other anyway, and the outline doubles what WebGL draws.
        outline = dict(width=0 if huge else 0.5 if three_d else 1, color="white")
        marker = dict(size=size, opacity=POINT_OPACITY, color=colours[group], line=outline)
        if three_d:
            figure.add_trace(go.Scatter3d(x=coords[members, 0], y=coords[members, 1], z=coords[members, 2], marker=marker, **common))
        else:
            trace = go.Scattergl if webgl else go.Scatter
            figure.add_trace(trace(x=coords[members, 0], y=coords[members, 1], marker=marker, **common))
    if highlight:
        rows = list(highlight)
        hover = [f"score {highlight[i]:.3f}<br>{hover_text(texts[i])}" for i in rows]
        marker = dict(size=14 if not three_d else 7, color="rgba(0,0,0,0)", line=dict(color="crimson", width=3), symbol="circle")
        common = dict(name="query neighbours", mode="markers", hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", marker=marker)
        if point_ids:
            common["customdata"] = np.asarray(rows)
        if three_d:
            figure.add_trace(go.Scatter3d(x=coords[rows, 0], y=coords[rows, 1], z=coords[rows, 2], **common))
        else:
            figure.add_trace((go.Scattergl if webgl else go.Scatter)(x=coords[rows, 0], y=coords[rows, 1], **common))
    notes = []
    for group, label in (group_labels or {}).items():
        members = np.flatnonzero(group_of == group)
        if label and len(members):
            centre = np.median(coords[members], axis=0)
            font = dict(size=12, color="#222")
            note = dict(text=html.escape(label), showarrow=False, bgcolor="rgba(255,255,255,0.8)", font=font)
            notes.append(dict(x=centre[0], y=centre[1], **({"z": centre[2]} if three_d else {}), **note))
    if three_d:
        figure.update_layout(scene=dict(annotations=notes))
    else:
        figure.update_layout(annotations=notes)
    figure.update_layout(
        title=title,
        legend_title_text=colour_title,
        height=560,
        margin=dict(t=40, b=10, l=10, r=10),  # room for the mode bar above the legend
    )
    return figure


def _natural_key(value: str) -> tuple:
    """"cluster 2" before "cluster 10": digits compare as numbers (re.split keeps types aligned)."""
    return tuple(int(part) if index % 2 else part for index, part in enumerate(re.split(r"(\d+)", value)))


def similarity_heatmap(matrix, names: Sequence[str], *, title: str | None = None) -> go.Figure:
    """Cosine similarities of (at most a few hundred) texts, in the order given (e.g. by cluster).

    Rows are named "row: start of the text" (so duplicates stay distinct), columns only by their
    number, upright: long rotated labels would take a third of the figure. The hover names both.
    """
    names = [str(name) for name in names]
    labels = [f"{i + 1}: {_short(name, HEATMAP_ROW_LABEL_CHARS)}" for i, name in enumerate(names)]
    low = float(min(0.0, matrix.min())) if matrix.size else 0.0
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=labels,
            y=labels,
            zmin=low,
            zmax=1.0,
            colorscale="Viridis",
            colorbar=dict(title="cosine"),
            hovertemplate="%{y}<br>%{x}<br>cosine %{z:.3f}<extra></extra>",
        )
    )
    shown = len(labels) <= 40
    figure.update_layout(
        title=title,
        height=min(900, max(420, 200 + 24 * len(labels))) if shown else 720,
        margin=dict(t=40 if title else 10, b=10, l=10, r=10),
        yaxis=dict(autorange="reversed", showticklabels=shown),
        xaxis=dict(
            showticklabels=shown,
            tickmode="array",
            tickvals=labels,
            ticktext=[str(i + 1) for i in range(len(labels))],
            tickangle=0,
            side="top",
        ),
    )
    return figure


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def overlap_histogram(counts: Sequence[int] | np.ndarray, k: int) -> go.Figure:
    """How many texts share 0, 1, ..., k of their k nearest neighbours under two models (one bar each)."""
    counts = [int(c) for c in counts]
    total = sum(counts) or 1
    figure = go.Figure(
        go.Bar(
            x=list(range(len(counts))),
            y=counts,
            customdata=[100 * c / total for c in counts],
            hovertemplate=f"%{{x}} of {k} neighbours shared<br>%{{y:,}} texts (%{{customdata:.1f}} %)<extra></extra>",
        )
    )
    figure.update_layout(
        height=300,
        margin=dict(t=10, b=40, l=50, r=10),
        xaxis=dict(title=f"neighbours shared (of {k})", tickmode="linear", dtick=max(1, (k + 10) // 11)),
        yaxis=dict(title="texts"),
        bargap=0.1,
    )
    return figure


# -- chat compare mode ------------------------------------------------------------------------------


def compare_timing_figure(rows: Sequence[tuple[str, float | None, float | None]]) -> go.Figure:
    """One compare round: time to first token and total time per target (labels are user text: escaped,
    since plotly reads a few HTML tags in labels)."""
    labels = [html.escape(label) for label, _, _ in rows]
    figure = go.Figure()
    figure.add_bar(name="first token (ms)", x=labels, y=[first or 0 for _, first, _ in rows])
    figure.add_bar(name="total (ms)", x=labels, y=[total or 0 for _, _, total in rows])
    figure.update_layout(barmode="group", yaxis_title="milliseconds", height=260, margin=dict(t=20, b=30, l=40, r=10))
    return figure
