"""Text from the data is drawn as text in the report's charts (issue 17, class 8): a '$' in a model
name once made matplotlib parse mathtext and fail the report."""

from __future__ import annotations

import io

import pytest

from pipelines.lib.report import png_charts as report


@pytest.mark.parametrize("name", ["Run $x^{", "$1B run $", r"A $\frac$ B", "Grok $$"])
def test_a_dollar_in_a_label_is_text_not_mathtext(name):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import style
    from matplotlib.figure import Figure

    with style.context(["default", report.STYLE]):
        figure = Figure()
        ax = figure.add_subplot()
        report._annotate_run(ax, 0.5, 0.5, name)
        ax.set_title(name)
        ax.plot([0, 1], [0, 1], label=name)
        ax.legend()
        figure.savefig(io.BytesIO(), format="png")
