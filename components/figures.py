"""Pure plotly figure builders (data in, figure out) so tests can check the figure's data."""

from __future__ import annotations

from collections.abc import Sequence

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
