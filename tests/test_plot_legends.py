"""A figure's legend never covers what it explains (seen on a phone: the Sigmoid tab's legend lay
over the bars of a drawing read as a 1)."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from ui.widgets import plots


@pytest.mark.parametrize("top", range(10))
def test_the_probability_pairs_legend_covers_no_bar(top):
    softmax = np.full(10, 0.01)
    softmax[top] = 0.91
    sigmoid = np.full(10, 0.3)
    sigmoid[top] = 0.99
    fig = plots.plot_probability_pair(softmax, sigmoid)
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    legend = ax.get_legend().get_window_extent(renderer)
    for bar in ax.patches:
        box = bar.get_window_extent(renderer)
        assert not legend.overlaps(box) or box.height == 0, (top, bar.get_x())
