"""A slider over precomputed results, drawn into a notebook: the widget, its figure area, and a loud first draw.

Shared by the toy sliders (:mod:`bagan_lib.toy.sweeps`, notebooks 02-03) and the
image-model sliders (:mod:`bagan_lib.experiments.image_sweeps`,
:mod:`bagan_lib.experiments.latent_sweep`, notebooks 05-06).
"""

from __future__ import annotations

import base64
import io

import ipywidgets
from IPython.display import display

from bagan_lib.errors import KitError


def figure_output(fig, *, dpi: int = 80) -> dict:
    """A figure as one notebook ``display_data`` output (PNG), for an Output widget's ``outputs``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    title = fig._suptitle.get_text() if fig._suptitle is not None else "figure"
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": f"<{title}>"}}


def interactive_figure(slider, draw):
    """An :class:`ipywidgets.interactive`: ``slider``, then two output areas; ``draw(value, area)`` fills the second.

    ``children[0]`` is the slider; ``children[-2]`` the interactive's own output
    area (it shows a traceback if the callback fails); ``children[-1]`` the figure
    area, whose ``outputs`` the callback replaces with the new figure. ``result``
    holds the last summary ``draw`` returned. The callback runs once on
    creation, with the starting value.

    Why a separate figure area: the figure is set as that widget's state instead
    of being displayed into the interactive's capturing output area. For every
    captured output, a headless executor (nbclient, under papermill) sends the
    widget's new state back on the kernel's shell channel while it is waiting on
    that channel for the cell's reply. With captured figures, papermill runs of
    notebooks 02-03 intermittently stalled: the reply sat unread until the
    execution timeout, or forever without one. Setting the state avoids it.
    """
    figure_area = ipywidgets.Output()

    def callback(value):
        return draw(value, figure_area)

    widget = ipywidgets.interactive(callback, value=slider)
    widget.children = (*widget.children, figure_area)
    return widget


def show_interactive(widget, what: str) -> dict:
    """Display an :func:`interactive_figure` and fail loudly if its first redraw failed; returns its summary."""
    display(widget)
    if widget.result is None:
        raise KitError(f"The {what} slider could not draw its first figure.",
                       "see the traceback in the slider's output area above.")
    return {k: v for k, v in widget.result.items() if k != "figure"}
