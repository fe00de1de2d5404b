"""The store: every run, its curves and model, and the room's people and drawings, behind one
interface, in SQLite (default) or PostgreSQL (``DIGIT_STUDIO_DB=postgresql://...``)."""

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
from store.schema import PRESENTER, SCHEMA_VERSION
from store.store import (
    CLI,
    DB_ENV,
    NAME_MAX,
    Actor,
    NotFound,
    PermissionDenied,
    Run,
    Store,
    StoreError,
    clean_name,
    default_url,
    run_label,
)

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
