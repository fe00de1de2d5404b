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


def test_a_fragments_stack_is_copied_as_streamlit_copies_it_with_each_container_copied_once():
    stack = _stack()
    streamlit_patches.install()
    ours = deepcopy(stack)
    theirs = tuple(streamlit_patches._original_deepcopy(dg, {}) for dg in stack)  # Streamlit's own
    assert _shape(ours) == _shape(theirs) == _shape(stack)
    assert all(copy is not dg for copy, dg in zip(ours, stack, strict=True))
    assert all(ours[i]._parent is ours[i - 1] for i in range(1, len(ours)))  # shared, like the originals
