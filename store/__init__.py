"""The store: every run, its curves and model, and the room's people and drawings, behind one
interface, in SQLite (default) or PostgreSQL (``DIGIT_STUDIO_DB=postgresql://...``)."""

from common.errors import StoreError
from store.database import CLI, DB_ENV, Actor, NotFound, PermissionDenied, default_url
from store.recorder import Recorder
from store.room import (
    FRAMED_WITH,
    NICK_HOLD,
    NICK_MAX,
    TEST,
    TRAIN,
    Drawing,
    NicknameTaken,
    Refused,
    as_arrays,
    clean_nickname,
    split_of,
)
from store.runs import NAME_MAX, Run, clean_name, run_label
from store.schema import PRESENTER, SCHEMA_VERSION
from store.store import Store

__all__ = [
    "CLI",
    "FRAMED_WITH",
    "NICK_HOLD",
    "NICK_MAX",
    "TEST",
    "TRAIN",
    "Drawing",
    "NicknameTaken",
    "Refused",
    "as_arrays",
    "clean_nickname",
    "split_of",
    "DB_ENV",
    "NAME_MAX",
    "PRESENTER",
    "SCHEMA_VERSION",
    "Actor",
    "NotFound",
    "PermissionDenied",
    "Recorder",
    "Run",
    "Store",
    "StoreError",
    "clean_name",
    "default_url",
    "run_label",
]
