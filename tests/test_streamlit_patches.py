"""ui/streamlit_patches.py against Streamlit's own functions: the same values, the same copies."""

from copy import deepcopy

from streamlit import config
from streamlit.cursor import RunningCursor
from streamlit.delta_generator import DeltaGenerator
from streamlit.proto.RootContainer_pb2 import RootContainer

from ui import streamlit_patches

SECTIONS = ["theme", "theme.light", "theme.dark", "theme.sidebar", "server", "client"]


def test_config_sections_read_once_are_streamlits_own_and_each_caller_gets_a_copy():
    streamlit_patches.install()
    streamlit_patches.install()  # idempotent
    for section in SECTIONS:
        assert config.get_options_for_section(section) == streamlit_patches._original(section)
    first = config.get_options_for_section("theme")
    first["primaryColor"] = "#000000"
    assert config.get_options_for_section("theme") == streamlit_patches._original("theme")


def _stack() -> tuple[DeltaGenerator, ...]:
    """A main area with containers three deep, each with written children (cursor positions)."""
    stack = [DeltaGenerator(root_container=RootContainer.MAIN, cursor=RunningCursor(RootContainer.MAIN, ()))]
    for depth in range(3):
        parent = stack[-1]
        path = (*parent._cursor.parent_path, depth)
        child = DeltaGenerator(
            root_container=RootContainer.MAIN,
            cursor=RunningCursor(RootContainer.MAIN, path),
            parent=parent,
            block_type="vertical",
        )
        child._cursor.lock_element()  # one element written into it
        stack.append(child)
    return tuple(stack)


def _shape(dgs) -> list:
    out = []
    for dg in dgs:
        chain = []
        while dg is not None:
            chain.append((dg._root_container, dg._block_type, dg._cursor.parent_path, dg._cursor.index))
            dg = dg._parent
        out.append(chain)
    return out


def _state(value, depth: int = 0):
    """Everything a copy holds, compared by value: a DeltaGenerator's every attribute (its parent's
    too), a cursor's every attribute; so an attribute Streamlit's own copy carries and ours drops
    (one a later Streamlit adds) makes the two differ."""
    if (
        isinstance(value, DeltaGenerator)
        or hasattr(value, "__dict__")
        and type(value).__module__.startswith("streamlit.")
    ):
        return (type(value).__name__, {k: _state(v, depth + 1) for k, v in sorted(vars(value).items())})
    if isinstance(value, (list, tuple)):
        return [_state(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {k: _state(v, depth + 1) for k, v in value.items()}
    return value


def test_a_fragments_stack_copy_holds_everything_streamlits_own_copy_holds():
    from streamlit.elements.lib.form_utils import FormData

    stack = _stack()
    for i, dg in enumerate(stack):  # every attribute set, so a copy that dropped one would differ
        dg._form_data = FormData(f"form-{i}")
        dg._creating_fragment_id = f"fragment-{i}"
    streamlit_patches.install()
    ours = deepcopy(stack)
    theirs = tuple(streamlit_patches._original_deepcopy(dg, {}) for dg in stack)
    for mine, streamlits, original in zip(ours, theirs, stack, strict=True):
        assert _state(mine) == _state(streamlits) == _state(original)
        assert set(vars(mine)) == set(vars(streamlits))


def test_a_fragments_stack_is_copied_as_streamlit_copies_it_with_each_container_copied_once():
    stack = _stack()
    streamlit_patches.install()
    ours = deepcopy(stack)
    theirs = tuple(streamlit_patches._original_deepcopy(dg, {}) for dg in stack)  # Streamlit's own
    assert _shape(ours) == _shape(theirs) == _shape(stack)
    assert all(copy is not dg for copy, dg in zip(ours, stack, strict=True))
    assert all(ours[i]._parent is ours[i - 1] for i in range(1, len(ours)))  # shared, like the originals


def test_text_is_cleaned_as_streamlit_cleans_it_and_every_text_element_uses_ours():
    streamlit_patches.install()
    streamlit_patches.install()  # idempotent
    texts = [
        "",
        " ",
        "\t",
        "<div>one line</div>",
        "  \t<p>leading</p> \t ",
        "\x0b\x0c\r<p>odd spaces</p>\r\x1c",
        "\u00a0\u2003<p>unicode spaces</p>\u3000",
        "    indented\n    twice\n",
        "  a\n\tb\n \n",
        "\r\n  mixed\r\n  lines\r\n",
        "first\n    second",
        42,
        None,
        b"bytes",
    ]
    for text in texts:
        assert streamlit_patches._clean_text(text) == streamlit_patches._original_clean_text(text), repr(text)

    class Text(str):
        def __str__(self) -> str:
            return "  its own\n  text"

    assert streamlit_patches._clean_text(Text("x")) == streamlit_patches._original_clean_text(Text("x"))
    import streamlit.elements.html
    import streamlit.elements.markdown
    import streamlit.elements.metric

    for module in (streamlit.elements.html, streamlit.elements.markdown, streamlit.elements.metric):
        assert module.clean_text is streamlit_patches._clean_text
