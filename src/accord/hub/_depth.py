"""A streaming bound on JSON nesting, checked before a document reaches ijson.

ijson tracks the path prefix of every event, which costs memory quadratic in the nesting
depth: a 200 KB document nested 100,000 deep takes tens of gigabytes. This scan reads the
bytes once in chunks, with numpy, keeping only the depth and whether it is inside a string.
"""

import re
from typing import IO

import numpy as np

MAX_DEPTH = 512
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_CHUNK = 1 << 20
_OPEN = (ord("["), ord("{"))
_CLOSE = (ord("]"), ord("}"))
_QUOTE = ord('"')


def too_deep(stream: IO[bytes], limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text in `stream` nests deeper than `limit` (read to its end)."""
    depth, in_string, skip_first = 0, False, False
    while chunk := stream.read(_CHUNK):
        if skip_first:  # the previous chunk ended in a backslash that escapes this byte
            chunk = chunk[1:]
        cleaned = _ESCAPE.sub(b"", chunk)
        skip_first = cleaned.endswith(b"\\")
        if skip_first:
            cleaned = cleaned[:-1]
        data = np.frombuffer(cleaned, dtype=np.uint8)
        if data.size == 0:
            continue
        quotes = np.cumsum(data == _QUOTE, dtype=np.int64)
        quotes += int(in_string)
        steps = (data == _OPEN[0]).astype(np.int64)
        steps += data == _OPEN[1]
        steps -= data == _CLOSE[0]
        steps -= data == _CLOSE[1]
        steps *= quotes % 2 == 0  # brackets inside strings do not count
        levels = np.cumsum(steps, out=steps)
        levels += depth
        if levels.max() > limit:
            return True
        depth, in_string = int(levels[-1]), bool(quotes[-1] % 2)
    return False
