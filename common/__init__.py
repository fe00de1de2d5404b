"""The bottom layer: what every other package may import, and which imports none of them.

Run statuses, the room's split names, the plain-text helpers and the translation function ``_()``.
"""

from common.errors import StoreError
from common.i18n import _
from common.splits import SPLITS, TEST, TRAIN
from common.status import DONE, STORED, Status

__all__ = ["DONE", "SPLITS", "STORED", "TEST", "TRAIN", "Status", "StoreError", "_"]
