"""The room's two halves: each drawing is a test or a training drawing (store/room.py says how)."""

TEST, TRAIN = "test", "train"
SPLITS = (TEST, TRAIN)
