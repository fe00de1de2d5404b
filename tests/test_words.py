"""Plain words and the presenter view under AppTest: every setting explained, one name for a
stopped run, a failed run's curve up to the failure, and ?view=presenter as a view."""

import time

from streamlit.testing.v1 import AppTest

from testkit.apptest import APP, button, metric, small_config, train_once, wait_for_job
from testkit.drawing import PLACEMENTS, render

SETTINGS = ["Preset", "Model", "Optimizer", "Learning rate (log scale)", "Batch size", "Epochs", "Weight decay"]
SETTINGS += ["Seed", "Training digits", "Framing", "Augmentation", "Run name (optional)"]


def test_every_setting_explains_itself_in_a_sentence(app):
    at = app(render(1, PLACEMENTS["big"]))
    widgets = [*at.sidebar.selectbox, *at.sidebar.select_slider, *at.sidebar.number_input]
    widgets += [*at.sidebar.toggle, *at.sidebar.text_input]
    helps = {w.label: w.help for w in widgets}
    for label in SETTINGS:
        assert helps.get(label) and len(helps[label]) >= 40, label
    for word in ("optimizer", "weight decay", "seed", "batch"):  # the jargon a first-year student meets
        assert any(word in label.lower() for label in helps), word


def test_a_stopped_run_is_called_stopped_in_epoch_n_everywhere(app):
    at = app(render(1, PLACEMENTS["big"]))
    small_config(at, epochs=200)
    button(at, "Train").click().run()
    job = at.session_state.job
    while not job.history and not job.done:
        time.sleep(0.01)
    job.stop()
    wait_for_job(at)
    last = job.history[-1]
    words = f"stopped in epoch {last.epoch}" if last.partial else f"{last.epoch} epoch"
    assert any(c.value.lower().startswith(words) for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]
    at.session_state["tab"] = "Training"
    at.run()
    if last.partial:
        assert metric(at, "Stopped in epoch") == str(last.epoch)
    assert any(words in m.value for m in at.markdown)


def test_a_failed_run_shows_its_loss_up_to_the_failure_and_stays_in_compare(app, monkeypatch):
    import dataclasses

    import train.run

    real_fit = train.run.fit

    def diverge_in_epoch_2(net, data, cfg, on_batch=None):
        yield from real_fit(net, data, dataclasses.replace(cfg, epochs=1), on_batch=on_batch)
        for k in range(5):  # the loss shoots up, then the loop gives up, as fit() does
            on_batch(k + 1, 10, 3.0 * 10**k)
        raise train.run.TrainingDiverged("Training diverged in epoch 2 (step 5): the loss became NaN")

    at = app(render(1, PLACEMENTS["big"]))
    train_once(at, 1, "fine")
    monkeypatch.setattr(train.run, "fit", diverge_in_epoch_2)
    train_once(at, 3, "too fast")
    assert any("diverged" in e.value for e in at.sidebar.error)
    charts = at.sidebar.get("vega_lite_chart")
    assert charts, "no loss curve up to the failure"
    assert any("until the run failed" in c.value for c in at.sidebar.caption)
    at.session_state["tab"] = "Runs"
    at.run()
    before = len(at.get("image"))
    at.multiselect(key="compare_runs").set_value([1, 2]).run()
    assert not at.exception and len(at.get("image")) == before + 1  # both drawn, the failed one to epoch 1
    note = next(c.value for c in at.caption if "failed after epoch 1" in c.value)
    assert "diverged" in note


def fresh(app, image, **params):
    """A new session opened with a link carrying ``params``."""
    app(image)  # patches the canvas and the data
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    return at


def test_view_presenter_is_a_view_and_leaves_the_address_bar(app):
    at = fresh(app, render(3, PLACEMENTS["big"]), view="presenter", epochs="7")
    assert not at.exception and at.session_state.presenter
    assert "view" not in at.query_params and at.query_params["epochs"] == "7"
    assert metric(at, "Prediction") == "3"
    assert any(m.value.startswith("**3:") for m in at.markdown)  # the ten probabilities as text
    at.toggle(key="presenter").set_value(False).run()
    assert metric(at, "Confidence") is not None  # the ordinary view again


def test_an_unknown_view_is_ignored_with_a_note(app):
    at = fresh(app, None, view="[admin](http://evil)")
    assert not at.exception and not at.session_state.get("presenter")
    note = next(c.value for c in at.caption if "was ignored" in c.value)
    assert "](" not in note.replace("\\]\\(", "")  # no live link
