"""Draw tab: canvas or upload, the prediction, what the model sees and why it decided."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import model
from common import text
from model.digitness import MESSAGES as NOT_A_DIGIT
from model.preprocess import PROBLEMS, ink_problem
from ui import session
from ui.tabs import photo as photo_view
from ui.tabs import teach
from ui.widgets import canvas, inline, layout
from ui.widgets.plots import colorize

INPUT_DRAW, INPUT_UPLOAD = "Draw on the canvas", "Upload an image"
UPLOAD_PROBLEMS = {"none": "Upload a photo or scan of one handwritten digit (PNG or JPEG)."}


def classify(net: model.LinearDigits, image) -> model.Reading | None:
    """Frame ``image`` the way ``net`` was trained and read it (None: no digit to read).

    ``image`` is a drawing, or the bytes of an uploaded photo (read by ``model.photo``, once per photo)."""
    framing = net.metadata["framing"]
    steps = photo_view.read(image, framing) if isinstance(image, bytes) else model.framing_steps(image, framing=framing)
    return model.read_framed(net, steps)


def _model_selector() -> None:
    entries = session.models()
    st.selectbox(
        "Classify with",
        list(entries),
        format_func=lambda k: text.clean(entries[k].label, session.LABEL_LEN),
        key="model_key",
        help="The shipped model, or one you trained in this session (newest is selected).",
    )


def _ink_figure(ink: np.ndarray, box: tuple[int, int, int, int], size: int = 140) -> str:
    """The ink, shrunk for display, with its bounding box drawn over it in orange."""
    h, w = ink.shape
    step = max(1, max(h, w) // size)
    top, bottom, left, right = box
    frac = (top / h, bottom / h, left / w, right / w)
    return inline.figure(inline.png_uri(inline.gray8(ink[::step, ::step])), "ink and its box", False, frac)


def _explain(entry: session.ModelEntry, result: model.Reading) -> str:
    """Why it decided: each pixel's contribution to the two best scores (HTML, ui/inline.py)."""
    proba, z, framed = result.proba, result.logits, result.framed
    order = np.argsort(-proba)
    best, second = int(order[0]), int(order[1])
    contrib = model.contributions(entry.net, framed)
    lim = float(np.abs(contrib[[best, second]]).max()) or 1.0
    bias = entry.net.linear.bias.detach().numpy()
    pictures = []
    for d in (best, second):
        score, b = round(float(z[d]), 2), round(float(bias[d]), 2)
        uri = inline.png_uri(colorize(contrib[d], limit=lim, scale=1))
        pictures.append(inline.figure(uri, f"for {d}: pixels {score - b:+.2f}, bias {b:+.2f} → score {score:+.2f}"))
    return (
        "<p><strong>Why:</strong> each pixel's contribution <em>weight × ink</em> to the score</p>"
        + inline.row(pictures)
        + '<p class="ds-caption">Red pixels push towards the digit, blue against it. For a linear model this is '
        "exact, not an approximation: the score is the sum of these contributions plus the bias.</p>"
    )


def _controls() -> None:
    """Which model reads the drawing, and the pen: under the answer, so on a phone they do not push
    the answer below the fold."""
    with st.container(horizontal=True, gap="medium"):  # one element, not three columns: cheaper per stroke
        _model_selector()
        st.slider(
            "Stroke width",
            6,
            40,
            22,
            key="stroke_width",
            width=150,
            help="How thick the pen is, in pixels of the 280x280 drawing the model gets (the same on every screen).",
        )


NOTES = {  # under the answer, for the models whose confidence reads differently
    "one-vs-rest": "One-vs-rest: ten independent sigmoid probabilities; they need not sum to 1.",
    "tutorial-sigmoid": "Tutorial model: softmax over sigmoid outputs can never exceed 23 % confidence.",
}


def _answer(slot: DeltaGenerator, entry: session.ModelEntry, proba: np.ndarray, presenter: bool) -> None:
    digit = int(proba.argmax())
    note = NOTES.get(entry.net.kind)
    if presenter:
        m1, m2 = slot.columns([1, 2])
        with m1.container(key="prediction"):
            st.metric("Prediction", str(digit), help="The class with the highest probability.")
        with m2.container(key="presenter_probs"):
            cols = st.columns(2)
            for d in range(10):
                text = f"{d}: {proba[d]:.0%}"
                cols[d // 5].markdown(f"**{text}**" if d == digit else text)
    else:
        # One row, not two columns: fewer elements per stroke; the Prediction is the first (ui/layout.py).
        with slot.container(key="prediction", horizontal=True):
            st.metric("Prediction", str(digit), help="The class with the highest probability.")
            st.metric(
                "Confidence",
                f"{proba[digit]:.0%}",
                help="How sure the model is among the ten digits. It has no "
                "'not a digit' answer: a scribble gets a digit too, sometimes with high confidence.",
            )
    if note:
        slot.caption(note)


PROBA_CAPTION = "How likely the model thinks each digit is: the tallest bar is its answer."
SEES = (
    "Your drawing is framed like the MNIST digits the model learned from: cut to the ink, shrunk so its "
    "longer side is 20 pixels, and centred in a 28×28 square."
)

PEN_NOTE = "A digit drawn small for the pen is shown to the model with a thinner one, so its loops stay open."

# How much room the canvas leaves below itself (CSS px): beside the answer, just a margin; where
# a phone stacks the columns, the answer under it: the gap above it, the prediction (81 px) and the
# teach row (Right, then the ten digits on a line of their own: 116 px) with the gaps between them
# and a margin, so that after drawing, Right and the ten digits are on screen with the canvas.
FIT = {"reserve": 16, "reserveStacked": 240}
FIT_PRESENTER = {"reserve": 16, "reserveStacked": 16}


class Slots(NamedTuple):
    """The places in the right column that change with every stroke (containers: Streamlit gives a
    fragment that writes into a container outside itself a place of its own there, which each rerun
    of the fragment rewrites; a container made by ``render`` keeps it when ``render`` reruns).

    Everything else there (the teach row, the model and the pen) is built by ``render`` and not
    again by a stroke: a stroke reruns ``_live`` alone, which writes only into these."""

    answer: DeltaGenerator
    bars: DeltaGenerator  # the teach row's answer to a click (about this drawing only), then the bars
    details: DeltaGenerator


# Two fragments, one in the other: a stroke reruns only ``_live`` (the canvas and what it writes
# into the Slots: about 6 elements), a click on anything else on the tab reruns ``render``, and
# neither reruns the sidebar and the page around them. A server's cost per stroke is mostly per
# element (bench/wsload.py; README, Sizing).
@st.fragment
def render() -> None:
    presenter = layout.is_presenter()
    # The selector under the answer shows this model; read first, so the page is built in order.
    session.apply_pending_selection()
    entry = session.current()
    framing = entry.net.metadata["framing"]
    left, right = st.columns([3, 2] if presenter else [1, 1], gap="large")
    with right:
        answer = st.container()
        teach.render()  # hidden while there is no answer (ui/widgets/layout.py)
        more = st.expander("More: the chart, model and pen, what the model sees, why") if presenter else right
        with more:
            bars = st.container()
            _controls()
            details = st.container()
    slots = Slots(answer, bars, details)
    with left:
        # Tabs, not a switch: both stay mounted, so going to Upload and back keeps the drawing.
        draw_tab, upload_tab = st.tabs([INPUT_DRAW, INPUT_UPLOAD], key="input_mode", on_change="rerun")
        photo = bool(upload_tab.open)
        if photo:  # the uploader only while it is seen: it costs a phone's page load a lot
            with upload_tab:
                uploaded = photo_view.uploaded(framing)
        else:
            photo_view.hidden()
        with draw_tab:
            _live(slots, presenter, photo, uploaded if photo else None)


@st.fragment
def _live(slots: Slots, presenter: bool, photo: bool, uploaded: bytes | None) -> None:
    """The canvas and the answer (to the drawing, or to the uploaded photo while the Upload tab is
    open): what one stroke reruns. It writes into every slot in every run (Streamlit keeps a
    fragment's places outside itself only so)."""
    drawing = canvas.draw(
        key="canvas", stroke_width=st.session_state.get("stroke_width", 22), fit=FIT_PRESENTER if presenter else FIT
    )
    if teach.stale():  # the presenter switched the room's sharing: the teach row says so at once
        st.rerun(scope="app")
    entry = session.current()
    framing = entry.net.metadata["framing"]
    if photo:
        problem = "none" if uploaded is None else photo_view.read(uploaded, framing)["reason"]
        result = classify(entry.net, uploaded) if problem is None else None
        messages = UPLOAD_PROBLEMS if uploaded is None else {**UPLOAD_PROBLEMS, problem: problem}
        _show(slots, entry, uploaded, result, problem, messages, presenter)
        return
    problem = "none" if drawing is None else ink_problem(drawing)
    result = classify(entry.net, drawing) if problem is None else None
    if result is not None:
        same = framing == "frame+deskew"
        problem = model.not_a_digit(result.steps["ink"], result.framed if same else None)
        result = None if problem else result
    _show(slots, entry, drawing, result, problem, {**PROBLEMS, **NOT_A_DIGIT}, presenter)


def _show(
    slots: Slots, entry: session.ModelEntry, image, result: model.Reading | None, problem, messages, presenter
) -> None:
    """Write the answer to ``image`` (a drawing or a photo's bytes) into the slots."""
    st.session_state.last_result = result
    if result is None:
        teach.remember(None, None)
        # The key marks "no answer" for the page's style sheet, which hides the teach row then.
        with slots.answer.container(key="no_answer"):
            st.info(messages.get(problem) or messages["blank"])
        slots.bars.empty()
        slots.details.empty()
        return
    proba = result.proba
    _answer(slots.answer, entry, proba, presenter)
    teach.remember(teach.source(image, result), int(proba.argmax()))
    slots.bars.html(teach.note_html() + inline.bars(proba, int(proba.argmax()), PROBA_CAPTION))
    _details(slots.details, entry, result)


def _details(slot: DeltaGenerator, entry: session.ModelEntry, result: model.Reading) -> None:
    """What the model sees, and why it decided."""
    steps = result.steps
    if "photo" in steps:
        with slot.container():
            st.markdown("**What the model sees**")
            st.caption(SEES)
            photo_view.show_steps(steps)
            st.html(f'<div class="ds-text">{_explain(entry, result)}</div>')
        return
    framing = inline.row(
        [
            _ink_figure(steps["ink"], steps["box"]),
            inline.figure(inline.png_uri(inline.gray8(steps["scaled"])), "longer side → 20 px"),
            inline.figure(inline.png_uri(inline.gray8(steps["framed"])), "centred 28×28"),
        ]
    )
    # One element for all of it: a stroke's cost is mostly per element (bench/wsload.py).
    slot.html(
        f'<div class="ds-text"><p><strong>What the model sees</strong></p><p class="ds-caption">{SEES} {PEN_NOTE}</p>'
        f"{framing}{_explain(entry, result)}</div>"
    )
