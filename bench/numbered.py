"""Frame-numbered clips for timing live video end to end: the road footage with its frame
index drawn as a 16-bit strip of black and white blocks across the top (big enough to survive
H.264 at camera bitrates), and a reader for that strip."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from bench.streams_health import VIDEO

BITS = 16


def geometry(width: int) -> tuple[int, int]:
    """(block width, strip height) of the number strip for a picture width."""
    block = width // (BITS + 4)
    return block, block // 2


def make_numbered(
    dst: Path,
    *,
    gop_s: float,
    size: tuple[int, int] = (1920, 1080),
    seconds: float = 20.0,
    fps: int = 25,
    bitrate: int = 4_000_000,
) -> Path:
    """An H.264 clip (no B-frames, fixed GOP) whose frame i shows the number i."""
    if dst.exists():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".part.mp4")
    w, h = size
    block, strip = geometry(w)
    with av.open(str(VIDEO / "car-detection.mp4")) as inp, av.open(str(tmp), "w") as out:
        vout = out.add_stream("libx264", rate=Fraction(fps, 1))
        vout.width, vout.height, vout.pix_fmt = w, h, "yuv420p"
        vout.bit_rate = bitrate
        vout.codec_context.gop_size = round(gop_s * fps)
        vout.codec_context.options = {"preset": "veryfast", "bf": "0", "sc_threshold": "0"}
        source = [f.to_ndarray(format="bgr24") for f in inp.decode(video=0)]
        for i in range(round(seconds * fps)):
            img = np.ascontiguousarray(cv2.resize(source[(i * 12) // fps % len(source)], size))
            img[:strip, : block * BITS] = 0
            for b in range(BITS):
                if (i >> b) & 1:
                    img[:strip, b * block : (b + 1) * block] = 255
            for p in vout.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in vout.encode(None):
            out.mux(p)
    tmp.replace(dst)
    return dst


def frame_count(path: Path) -> int:
    """How many frames a clip has (its numbers run from 0 to this - 1)."""
    with av.open(str(path)) as c:
        return sum(1 for _ in c.demux(video=0) if _.size)


def read_number(strip: np.ndarray, block: int) -> int:
    """The number in a grey strip (rows of the top of a frame, at least BITS blocks wide)."""
    h = strip.shape[0]
    value = 0
    for b in range(BITS):
        centre = strip[h // 4 : 3 * h // 4, b * block + block // 4 : (b + 1) * block - block // 4]
        if float(centre.mean()) > 128:
            value |= 1 << b
    return value


# The same reader in the browser: draw the strip of the presented frame, average block centres.
READER_JS = """
(video, block, strip, bits) => {
  const c = document.createElement("canvas");
  c.width = block * bits; c.height = strip;
  const g = c.getContext("2d", {willReadFrequently: true});
  return () => {
    g.drawImage(video, 0, 0, c.width, c.height, 0, 0, c.width, c.height);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    let value = 0;
    for (let b = 0; b < bits; b++) {
      let sum = 0, n = 0;
      for (let y = strip >> 2; y < (3 * strip) >> 2; y += 2)
        for (let x = b * block + (block >> 2); x < (b + 1) * block - (block >> 2); x += 4) {
          sum += px[(y * c.width + x) * 4 + 1]; n++;
        }
      if (sum / n > 128) value |= 1 << b;
    }
    return value;
  };
}
"""
