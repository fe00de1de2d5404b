"""Draw tab: canvas or upload, the prediction, what the model sees and why it decided."""

from __future__ import annotations

import numpy as np
import streamlit as st

import model
from model.digitness import MESSAGES as NOT_A_DIGIT
from model.preprocess import PROBLEMS, ink_problem
from ui import canvas, inline, layout, state, teach, text
from ui import photo as photo_view
from ui.plots import colorize

INPUT_DRAW, INPUT_UPLOAD = "Draw on the canvas", "Upload an image"
UPLOAD_PROBLEMS = {"none": "Upload a photo or scan of one handwritten digit (PNG or JPEG)."}


def classify(net: model.LinearDigits, image) -> dict | None:
    """Frame ``image`` the way ``net`` was trained; probabilities, logits and the framing steps.

    ``image`` is a drawing, or the bytes of an uploaded photo (read by ``model.photo``)."""
    if isinstance(image, bytes):
        steps = photo_view.read(image, net.metadata["framing"])
        if steps["framed"] is None:
            return None
    else:
        steps = model.framing_steps(image, framing=net.metadata["framing"])
        if steps is None:
            return None
    framed = steps["framed"]
    z = model.logits(net, framed)
    return {"steps": steps, "framed": framed, "logits": z[0], "proba": model.probabilities(net, z)[0]}


def _model_selector() -> None:
    entries = state.models()
    st.selectbox(
        "Classify with",
        list(entries),
        format_func=lambda k: text.clean(entries[k].label, state.LABEL_LEN),
        key="model_key",
        help="The shipped model, or one you trained in this session (newest is selected).",
    )


def _input_image(fit: dict, framing: str):
    """The image to classify and what to say when there is none: (image or None, messages)."""
    # Tabs, not a switch: both stay mounted, so going to Upload and back keeps the drawing.
    draw_tab, upload_tab = st.tabs([INPUT_DRAW, INPUT_UPLOAD], key="input_mode", on_change="rerun")
    with draw_tab:
        drawing = canvas.draw(key="canvas", stroke_width=st.session_state.get("stroke_width", 22), fit=fit)
    uploaded = None
    if upload_tab.open:  # the uploader only while it is seen: it costs a phone's page load a lot
        with upload_tab:
            uploaded = photo_view.uploaded(framing)
    else:
        photo_view.hidden()
    if upload_tab.open:
        return uploaded, UPLOAD_PROBLEMS
    return drawing, {**PROBLEMS, **NOT_A_DIGIT}


def _ink_figure(ink: np.ndarray, box: tuple[int, int, int, int], size: int = 140) -> str:
    """The ink, shrunk for display, with its bounding box drawn over it in orange."""
    h, w = ink.shape
    step = max(1, max(h, w) // size)
    top, bottom, left, right = box
    frac = (top / h, bottom / h, left / w, right / w)
    return inline.figure(inline.png_uri(inline.gray8(ink[::step, ::step])), "ink and its box", False, frac)


def _explain(entry: state.ModelEntry, result: dict) -> str:
    """Why it decided: each pixel's contribution to the two best scores (HTML, ui/inline.py)."""
    proba, z, framed = result["proba"], result["logits"], result["framed"]
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


def _answer(entry: state.ModelEntry, proba: np.ndarray, presenter: bool) -> None:
    digit = int(proba.argmax())
    if presenter:
        m1, m2 = st.columns([1, 2])
        with m1.container(key="prediction"):
            st.metric("Prediction", str(digit), help="The class with the highest probability.")
        with m2.container(key="presenter_probs"):
            cols = st.columns(2)
            for d in range(10):
                text = f"{d}: {proba[d]:.0%}"
                cols[d // 5].markdown(f"**{text}**" if d == digit else text)
    else:
        # One row, not two columns: fewer elements per stroke; the Prediction is the first (ui/layout.py).
        with st.container(key="prediction", horizontal=True):
            st.metric("Prediction", str(digit), help="The class with the highest probability.")
            st.metric(
                "Confidence",
                f"{proba[digit]:.0%}",
                help="How sure the model is among the ten digits. It has no "
                "'not a digit' answer: a scribble gets a digit too, sometimes with high confidence.",
            )
    if entry.net.kind == "one-vs-rest":
        st.caption("One-vs-rest: ten independent sigmoid probabilities; they need not sum to 1.")
    elif entry.net.kind == "tutorial-sigmoid":
        st.caption("Tutorial model: softmax over sigmoid outputs can never exceed 23 % confidence.")


PROBA_CAPTION = "How likely the model thinks each digit is: the tallest bar is its answer."
SEES = (
    "Your drawing is framed like the MNIST digits the model learned from: cut to the ink, shrunk so its "
    "longer side is 20 pixels, and centred in a 28×28 square."
)

# How much room the canvas leaves below itself (CSS px): beside the answer, just a margin; where
# a phone stacks the columns, the height of the prediction, so that it is on screen too.
FIT = {"reserve": 16, "reserveStacked": 120}
FIT_PRESENTER = {"reserve": 16, "reserveStacked": 16}


# A fragment: a stroke reruns only the Draw tab, not the sidebar and the page around it. That is
# what lets one server process answer a room (bench/wsload.py; README, Deployment).
@st.fragment
def render() -> None:
    presenter = layout.is_presenter()
    # The selector under the answer shows this model; read first, so the page is built in order,
    # without placeholders (each is one more element per stroke).
    state.apply_pending_selection()
    entry = state.current()
    left, right = st.columns([3, 2] if presenter else [1, 1], gap="large")
    with left:
        image, messages = _input_image(FIT_PRESENTER if presenter else FIT, entry.net.metadata["framing"])
    if isinstance(image, bytes):  # an uploaded photo: its reading says why there is no digit
        problem = photo_view.read(image, entry.net.metadata["framing"])["reason"]
        messages = {**messages, problem: problem}
    else:
        problem = "none" if image is None else ink_problem(image)
    result = classify(entry.net, image) if problem is None else None
    if result is not None and not isinstance(image, bytes):  # photos were checked by read_photo
        same = entry.net.metadata["framing"] == "frame+deskew"
        problem = model.not_a_digit(result["steps"]["ink"], result["framed"] if same else None)
        result = None if problem else result
    st.session_state.last_result = result
    with right:
        if result is None:
            st.info(messages.get(problem) or messages["blank"])
        else:
            proba = result["proba"]
            _answer(entry, proba, presenter)
            teach.render(teach.source(image, result), int(proba.argmax()))
        more = st.expander("More: the chart, model and pen, what the model sees, why") if presenter else right
        with more:
            if result is not None:
                st.html(inline.bars(proba, int(proba.argmax()), PROBA_CAPTION))
            _controls()
            if result is not None:
                _details(entry, result)


def _details(entry: state.ModelEntry, result: dict) -> None:
    """What the model sees, and why it decided."""
    steps = result["steps"]
    if "photo" in steps:
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
    st.html(
        f'<div class="ds-text"><p><strong>What the model sees</strong></p><p class="ds-caption">{SEES}</p>'
        f"{framing}{_explain(entry, result)}</div>"
    )
