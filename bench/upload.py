"""What one upload costs: CPU seconds and extra memory of ``model.read_photo`` on hostile and big files.

Budget per upload rerun (issue 11): at most 0.3 s of CPU and 50 MB of extra memory. Each case
runs in a fresh process (spawned), so that its peak RSS minus the RSS before reading is what
that one upload added; CPU time is the process's own (user + system) over the read.
Linux only (it reads /proc/self/status). The app reads each file once per session
(``ui/photo.py`` keeps the result by its SHA-256), so later reruns cost only the hash, shown last.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing as mp
import time

import numpy as np
from PIL import Image


def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _noise_rgb(w: int, h: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def cases() -> dict[str, bytes]:
    """Each hostile or big upload the budget must hold for."""
    from model import photo

    phone = _noise_rgb(4000, 3000)  # incompressible: about the largest JPEG a 12 MP phone writes
    out = {"phone JPEG 4000x3000, q=92": _save(phone, "JPEG", quality=92)}
    big = _noise_rgb(1000, 750, 1).resize((8000, 6000))
    out["48 MP JPEG, q=60"] = _save(big, "JPEG", quality=60)
    side = int(photo.MAX_PROGRESSIVE_PIXELS**0.5) - 8
    noise = _noise_rgb(side, side, 2)
    for quality in range(95, 0, -5):  # the most bytes its limits let in: its CPU grows with both
        data = _save(noise, "JPEG", quality=quality, progressive=True)
        if len(data) <= photo.MAX_PROGRESSIVE_BYTES:
            break
    out[f"progressive JPEG {side}x{side}, q={quality} (its limits)"] = data
    side = int(photo.MAX_PIXELS**0.5) - 8
    smooth = Image.linear_gradient("L").resize((side, side)).convert("RGBA")
    out[f"PNG RGBA {side}x{side} (its limit)"] = _save(smooth, "PNG")
    out[f"PNG 16-bit {side}x{side}"] = _save(Image.fromarray(np.full((side, side), 40000, np.uint16)), "PNG")
    out["PNG 20000x20000, 1-bit (tiny file, huge picture)"] = _save(Image.new("1", (20_000, 20_000)), "PNG")
    out["PNG 65500x200"] = _save(Image.new("L", (65_500, 200), 255), "PNG")
    frames = [Image.new("P", (400, 400), i % 250) for i in range(1000)]
    out["GIF 400x400, 1000 frames"] = _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=10)
    out[f"LAB TIFF {side}x{side}"] = _save(smooth.convert("RGB").convert("LAB"), "TIFF")
    out[f"CMYK JPEG {side}x{side}"] = _save(_noise_rgb(side, side, 3).convert("CMYK"), "JPEG", quality=90)
    return out


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        line = next(ln for ln in f if ln.startswith(field + ":"))
    return int(line.split()[1]) / 1024  # kB


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # Linux: the peak RSS (VmHWM) starts again from the current RSS


def _measure(data: bytes, queue) -> None:
    import model

    model.read_photo(_save(Image.new("L", (64, 64), 255), "PNG"))  # imports and first-call setup
    _reset_peak()
    before = _status_mb("VmRSS")
    t0 = time.process_time()
    x, reason = model.read_photo(data)
    cpu = time.process_time() - t0
    queue.put((cpu, max(0.0, _status_mb("VmHWM") - before), reason))


def main() -> None:
    ctx = mp.get_context("spawn")
    print(f"{'upload':<50} {'file':>8} {'CPU s':>6} {'extra MB':>9}  answer")
    worst_cpu = worst_mem = 0.0
    for name, data in cases().items():
        q = ctx.Queue()
        p = ctx.Process(target=_measure, args=(data, q))
        p.start()
        cpu, mem, reason = q.get(timeout=300)
        p.join()
        worst_cpu, worst_mem = max(worst_cpu, cpu), max(worst_mem, mem)
        answer = "read" if reason is None else reason[:60]
        print(f"{name:<50} {len(data) / 2**20:>6.1f}MB {cpu:>6.2f} {mem:>9.1f}  {answer}")
    print(f"worst: {worst_cpu:.2f} s CPU, {worst_mem:.0f} MB extra  (budget per upload: <= 0.3 s, <= 50 MB)")
    data = cases()["phone JPEG 4000x3000, q=92"]
    t0 = time.process_time()
    hashlib.sha256(data).hexdigest()
    cpu = time.process_time() - t0
    print(f"a later rerun with the same {len(data) / 2**20:.1f} MB file (hash only): {cpu:.3f} s CPU")


if __name__ == "__main__":
    main()
