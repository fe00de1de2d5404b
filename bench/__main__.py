"""Run every benchmark: python -m bench [speed|accuracy|latency|prep|hands|photos|nondigits|upload|strokeparts ...]."""

import sys

from bench import accuracy, latency, nondigits, photos, prep, room, speed, strokeparts, upload

BENCHES = {
    "prep": prep.main,
    "latency": lambda: (latency.strokes_to_pixels(), latency.main(), latency.app_rerun()),
    "speed": speed.main,
    "accuracy": accuracy.main,
    "room": lambda: room.main([]),
    "hands": accuracy.hands,
    "photos": photos.main,
    "nondigits": nondigits.main,
    "upload": upload.main,
    "strokeparts": strokeparts.main,
}

if __name__ == "__main__":
    names = sys.argv[1:] or list(BENCHES)
    for name in names:
        print(f"\n== {name} ==", flush=True)
        BENCHES[name]()
