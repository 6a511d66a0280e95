"""The explorer's plotly builders, checked on the figure's data (not a screenshot)."""

from __future__ import annotations

import numpy as np

from components.figures import (
    HEATMAP_ROW_LABEL_CHARS,
    OTHER_GROUP,
    colour_groups,
    hover_text,
    scatter_figure,
    similarity_heatmap,
)


def test_small_2d_scatter_uses_svg_one_trace_per_group_with_text_on_hover():
    coords = np.array([[0, 0], [1, 1], [2, 2]], dtype=np.float32)

    figure = scatter_figure(coords, ["alpha", "beta <b>", "gamma"], ["cluster 1", "cluster 0", "cluster 1"])

    assert [trace.type for trace in figure.data] == ["scatter", "scatter"]
    assert [trace.name for trace in figure.data] == ["cluster 0", "cluster 1"]
    assert list(figure.data[1].hovertext) == ["alpha", "gamma"]
    assert list(figure.data[0].hovertext) == ["beta &lt;b&gt;"]
    assert np.array_equal(figure.data[1].x, [0, 2])


def test_large_2d_scatter_switches_to_webgl():
    coords = np.random.default_rng(0).normal(size=(1500, 2)).astype(np.float32)

    figure = scatter_figure(coords, [f"t{i}" for i in range(1500)], ["a"] * 1500)

    assert figure.data[0].type == "scattergl" and len(figure.data[0].x) == 1500


def test_3d_scatter_and_highlighted_neighbours_with_scores():
    coords = np.arange(12, dtype=np.float32).reshape(4, 3)

    figure = scatter_figure(coords, ["a", "b", "c", "d"], ["x", "x", "y", "y"], colour_title="label", highlight={3: 0.91, 0: 0.5})

    assert [trace.type for trace in figure.data] == ["scatter3d", "scatter3d", "scatter3d"]
    highlight = figure.data[-1]
    assert highlight.name == "query neighbours"
    assert list(highlight.z) == [11, 2]
    assert highlight.hovertext[0].startswith("score 0.910")
    assert figure.layout.legend.title.text == "label"


def test_many_labels_fold_into_other():
    values = [f"label {i % 30}" for i in range(300)] + ["label 0"] * 10

    groups = colour_groups(values, limit=5)

    assert len(set(groups)) == 6 and OTHER_GROUP in groups
    assert groups[0] == "label 0"


def test_hover_text_is_cut_and_wrapped():
    text = "word " * 200
    hover = hover_text(text, limit=100, line=30)
    assert hover.endswith("…") and "<br>" in hover
    assert all(len(line) <= 30 for line in hover.split("<br>"))


def test_hover_lines_are_filled_greedily_with_whole_words():
    long_word = "x" * 12

    assert hover_text("aa bb  cc\tdd\nee ff", line=8) == "aa bb cc<br>dd ee ff"  # spacing collapsed, 8 fits
    assert hover_text(f"a {long_word} b c", line=10) == f"a<br>{long_word}<br>b c"  # a longer word stands alone
    assert hover_text("a <b> & c", line=80) == "a &lt;b&gt; &amp; c"
    assert hover_text("   ", line=10) == ""


def test_heatmap_holds_the_matrix_in_the_given_order():
    matrix = np.array([[1.0, 0.2], [0.2, 1.0]])

    figure = similarity_heatmap(matrix, ["same", "same"])

    heatmap = figure.data[0]
    assert heatmap.type == "heatmap"
    assert np.array_equal(np.asarray(heatmap.z), matrix)
    assert list(heatmap.x) == ["1: same", "2: same"]  # duplicates stay distinct
    assert heatmap.zmax == 1.0


def test_heatmap_labels_stay_short_and_upright():
    names = [f"a rather long sentence number {i} that goes on and on about nothing" for i in range(30)]

    figure = similarity_heatmap(np.eye(30), names)

    assert list(figure.layout.xaxis.ticktext) == [str(i) for i in range(1, 31)]  # columns: only their number
    assert figure.layout.xaxis.tickangle == 0
    assert max(len(label) for label in figure.data[0].y) <= len("30: ") + HEATMAP_ROW_LABEL_CHARS
    assert figure.data[0].y[0].startswith("1: a rather long")


def test_points_are_large_and_opaque_enough_to_read():
    coords = np.random.default_rng(1).normal(size=(50, 2)).astype(np.float32)

    figure = scatter_figure(coords, [f"t{i}" for i in range(50)], [f"cluster {i % 3}" for i in range(50)])

    for trace in figure.data:
        assert trace.marker.size >= 8 and trace.marker.opacity >= 0.85


def test_many_clusters_get_distinct_colours():
    count = 18
    coords = np.random.default_rng(2).normal(size=(count * 3, 2)).astype(np.float32)

    figure = scatter_figure(coords, [f"t{i}" for i in range(count * 3)], [f"cluster {i % count}" for i in range(count * 3)])

    colours = [trace.marker.color for trace in figure.data]
    assert len(colours) == count and len(set(colours)) == count


def test_group_labels_are_written_at_the_middle_of_their_group():
    coords = np.array([[0, 0], [2, 2], [4, 0], [10, 10], [12, 12]], dtype=np.float32)
    groups = ["cluster 0"] * 3 + ["cluster 1"] * 2

    figure = scatter_figure(coords, list("abcde"), groups, group_labels={"cluster 0": "bread, <yeast>", "cluster 1": ""})

    assert [(note.x, note.y, note.text) for note in figure.layout.annotations] == [(2, 0, "bread, &lt;yeast&gt;")]
