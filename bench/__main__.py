"""Run every benchmark: python -m bench [speed|accuracy|latency|prep ...]."""

import sys

from bench import accuracy, latency, prep, room, speed

BENCHES = {
    "prep": prep.main,
    "latency": lambda: (latency.strokes_to_pixels(), latency.main(), latency.app_rerun()),
    "speed": speed.main,
    "accuracy": accuracy.main,
    "room": lambda: room.main([]),
}

if __name__ == "__main__":
    names = sys.argv[1:] or list(BENCHES)
    for name in names:
        print(f"\n== {name} ==", flush=True)
        BENCHES[name]()
