"""The sliders as a learner uses them: JupyterLab in headless Chromium, driven by Playwright.

One JupyterLab server (free localhost port, random token, ``BAGAN_PROFILE=smoke``)
serves a temporary copy of ``notebooks/``. For each slider the test opens the
notebook, selects the slider's cell with the mouse, runs every cell above it and
then the cell itself, waits for the slider and its figure to render, moves the
slider one step with the keyboard and checks that the figure under it changes
(the screenshot of the figure area differs) and that no error output appears,
in any cell run or in the slider's own output areas.

Screenshots before and after the move go to the test's ``tmp_path`` and are
copied to ``tests/artifacts/<notebook>/`` (or ``$BAGAN_BROWSER_ARTIFACTS``),
also when the test fails. Chromium is Debian's (``make browser`` installs it);
the test is never skipped: a missing browser is an error.
"""

from __future__ import annotations

import shutil
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright

from browser_support import LabServer, copy_artifacts, launch_chromium, pixel_difference

pytestmark = pytest.mark.slow  # long end to end: `pytest -m "not slow"` skips it while developing

# (notebook, a string only the slider's cell contains, what the slider sets)
SLIDERS = [
    ("02_wgan_gp.ipynb", "widgets.show_sweep(lambda_sweep", "lambda"),
    ("05_supervised_autoencoder.ipynb", "latent_sweep.latent_dim_slider(", "latent dim"),
]
OPEN_TIMEOUT_MS = 90_000      # JupyterLab loaded, notebook open, kernel idle
RUN_TIMEOUT_MS = 240_000      # every cell up to the slider (02: ~40 s, 05: ~30 s at smoke on 2 shared cores)
REDRAW_TIMEOUT_MS = 30_000    # the figure after one slider step (a redraw from the precomputed sweep)
# share of the figure's pixels below its title (the top tenth) that must change, so a new title
# alone does not pass; at smoke, notebook 02's figure changes by about 15 %, notebook 05's by about
# 0.7 % (its reconstructions are still grey after 2 training steps: only the curves' markers move)
MIN_CHANGED_PIXELS = 0.002
TITLE_BAND = 0.1

_NOTEBOOK_READY = """(path) => {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    if (!panel || !panel.context || panel.context.path !== path || !panel.context.isReady) return false;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle' && panel.content.widgets.length > 0;
}"""

_FIND_CELL = """(marker) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const index = notebook.widgets.findIndex(c => c.model.sharedModel.getSource().includes(marker));
    if (index < 0) return -1;
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    notebook.widgets[index].node.setAttribute('data-bagan-target', 'slider-cell');
    return index;
}"""

# run-all-above, then the slider's cell itself; the promise is watched from Python with a timeout
_RUN_UP_TO = """(index) => {
    const app = window.jupyterapp;
    const notebook = app.shell.currentWidget.content;
    window.__baganRun = {done: false, error: null};
    (async () => {
        try {
            await app.commands.execute('notebook:run-all-above');
            notebook.activeCellIndex = index;
            notebook.deselectAll();
            await app.commands.execute('notebook:run-cell');
            window.__baganRun.done = true;
        } catch (e) { window.__baganRun.error = String(e); }
    })();
    return true;
}"""

_RUN_STATE = """(index) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.widgets.slice(0, index + 1);
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const errors = [], notRun = [];
    cells.forEach((cell, i) => {
        if (cell.model.type !== 'code') return;
        if (cell.model.executionCount === null) notRun.push(i);
        for (const out of cell.model.outputs.toJSON()) {
            if (out.output_type === 'error') errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
        }
    });
    return {run: window.__baganRun, kernel: kernel ? kernel.status : 'none', errors, notRun};
}"""

_FIGURE_SRC = """(el) => { const img = el.querySelector(':scope > .widget-output:last-child img');
    return img && img.complete && img.naturalWidth > 0 ? img.src : null; }"""

# error outputs as JupyterLab renders them (tracebacks and stderr), inside the slider's widget
_ERRORS_IN_WIDGET = """(el) => Array.from(el.querySelectorAll(
    '[data-mime-type="application/vnd.jupyter.error"], [data-mime-type="application/vnd.jupyter.stderr"]'))
    .map(e => e.innerText.slice(0, 500))"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory, repo_root):
    """JupyterLab on a copy of notebooks/ at the smoke profile; always shut down, nothing left running."""
    base = tmp_path_factory.mktemp("browser_sliders")
    work = base / "notebooks"
    shutil.copytree(repo_root / "notebooks", work,
                    ignore=shutil.ignore_patterns("outputs", ".ipynb_checkpoints", "__pycache__"))
    server = LabServer(work, base / "jupyter", env={"BAGAN_PROFILE": "smoke", "BAGAN_OFFLINE": "1"})
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("notebook, marker, what", SLIDERS, ids=[s[0].split("_")[0] for s in SLIDERS])
def test_slider_redraws_its_figure_in_jupyterlab(lab, browser, tmp_path, notebook, marker, what):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page_errors = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    started = time.monotonic()
    try:
        page.goto(lab.url(f"lab/tree/{notebook}"), timeout=OPEN_TIMEOUT_MS)
        page.wait_for_function(_NOTEBOOK_READY, arg=notebook, timeout=OPEN_TIMEOUT_MS, polling=500)
        lab.remember_processes()

        # select the slider's cell with the mouse, then run everything above it and the cell itself
        index = page.evaluate(_FIND_CELL, marker)
        assert index >= 0, f"no cell of {notebook} contains {marker!r}"
        cell = page.locator('[data-bagan-target="slider-cell"]')
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputPrompt").first.click()
        assert page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex") == index
        page.evaluate(_RUN_UP_TO, index)
        page.wait_for_function("() => window.__baganRun.done || window.__baganRun.error !== null",
                               timeout=RUN_TIMEOUT_MS, polling=1000)
        lab.remember_processes()
        state = page.evaluate(_RUN_STATE, index)
        assert state["run"]["error"] is None, state
        assert not state["errors"], f"error outputs in {notebook}: {state['errors']}"
        assert not state["notRun"], f"cells {state['notRun']} of {notebook} did not run"
        run_seconds = time.monotonic() - started

        # the slider and its figure, rendered by the widget manager
        widget = cell.locator(".widget-interact").first
        widget.wait_for(state="visible", timeout=REDRAW_TIMEOUT_MS)
        slider = widget.locator(".widget-slider").first
        handle = slider.locator(".noUi-handle").first
        readout = slider.locator(".widget-readout").first
        figure_area = widget.locator(":scope > .widget-output").last
        widget.scroll_into_view_if_needed()
        page.wait_for_function(_FIGURE_SRC, arg=widget.element_handle(), timeout=REDRAW_TIMEOUT_MS)
        before_src = widget.evaluate(_FIGURE_SRC)
        before_value = readout.inner_text()
        widget.screenshot(path=str(shots / "slider_before.png"))
        figure_before = figure_area.screenshot(path=str(shots / "figure_before.png"))

        # one step with the keyboard, away from the end the slider starts at
        now, top = (int(handle.get_attribute(a).split(".")[0]) for a in ("aria-valuenow", "aria-valuemax"))
        handle.focus()
        page.keyboard.press("ArrowLeft" if now == top else "ArrowRight")
        try:   # a new image in the figure area; if none comes, the assertions below say what did not change
            page.wait_for_function(f"(el) => {{ const s = ({_FIGURE_SRC})(el); return s && s !== {before_src!r}; }}",
                                   arg=widget.element_handle(), timeout=REDRAW_TIMEOUT_MS, polling=250)
        except PlaywrightTimeout:
            pass
        page.wait_for_function(_NOTEBOOK_READY, arg=notebook, timeout=REDRAW_TIMEOUT_MS, polling=250)
        after_value = readout.inner_text()
        widget.screenshot(path=str(shots / "slider_after.png"))
        figure_after = figure_area.screenshot(path=str(shots / "figure_after.png"))

        changed = pixel_difference(figure_before, figure_after, skip_top=TITLE_BAND)
        (shots / "summary.txt").write_text(
            f"{notebook}: {what} {before_value} -> {after_value}; {changed:.2%} of the figure's pixels below its title changed; "
            f"cells up to the slider ran in {run_seconds:.0f} s\n")
        errors = widget.evaluate(_ERRORS_IN_WIDGET)
        assert not errors, f"error output in the {what} slider's widget: {errors}"
        assert after_value != before_value, f"the {what} readout did not move: {before_value}"
        assert changed >= MIN_CHANGED_PIXELS, (f"the figure under the {what} slider did not change "
                                               f"({changed:.2%} of its pixels below the title)")
        state = page.evaluate(_RUN_STATE, index)
        assert not state["errors"], state["errors"]
        assert not page_errors, f"JavaScript errors in the page: {page_errors}"
    except Exception:
        page.screenshot(path=str(shots / "page_at_failure.png"), full_page=True)
        print(lab.log_tail())
        raise
    finally:
        page.close()
        print(f"screenshots: {copy_artifacts(shots, notebook.removesuffix('.ipynb'))}")
