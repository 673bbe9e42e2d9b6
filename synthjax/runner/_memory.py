"""Memory: parse a budget, read the process's resident memory, choose a block size from a budget.

While a block of replicates is built and written, each long-table row (one replicate × one size)
costs at most ``ROW_BYTES`` = 32 columns × 8 bytes × 4 copies (device output, concatenation, data
frame, Parquet encoding). Compiled programs, the XLA compiler's working memory and the runtime are
covered by ``RESERVE`` on top of the memory in use when the run starts. Summaries are accumulated
in constant memory and the long table is streamed to disk, so the peak does not grow with R.
"""
from __future__ import annotations

import os
import re
import resource
import sys

from .._validate import InvalidParameterError

ROW_BYTES = 32 * 8 * 4
RESERVE = 768 * 2 ** 20
MAX_BLOCK = 8192            # replicates per shard at most: a kill loses little work
_UNITS = {"": 1, "b": 1, "k": 10 ** 3, "kb": 10 ** 3, "m": 10 ** 6, "mb": 10 ** 6, "g": 10 ** 9, "gb": 10 ** 9,
          "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "t": 10 ** 12, "tb": 10 ** 12, "tib": 2 ** 40}


def parse_bytes(text) -> int:
    """'2GiB', '1.5G', '500MB', '1e9' or an int → bytes (k, M, G are powers of 10; KiB, MiB, GiB of 2)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*", str(text))
        if not match or match.group(2).lower() not in _UNITS:
            raise InvalidParameterError(f"The 'max_memory' parameter must be a size such as 4GiB, 1.5G or 500MB. "
                                        f"Got {text!r} instead.")
        value, unit = float(match.group(1)), match.group(2).lower()
    if not value > 0:
        raise InvalidParameterError(f"The 'max_memory' parameter must be > 0. Got {text!r} instead.")
    return int(value * _UNITS[unit])


def current_rss() -> int:
    """Resident memory of this process now, in bytes (Linux /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss()


def peak_rss() -> int:
    """Peak resident memory of this process so far, in bytes: Linux's VmHWM (the high-water mark of this
    program's own memory; ``ru_maxrss`` would also count the parent's memory at fork time), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def memory_block_size(max_memory: int, rows_per_replicate: int, reps: int) -> int:
    """The largest block (a multiple of 64 replicates, at most ``MAX_BLOCK`` and no more than the run
    needs) whose rows fit in ``max_memory`` beside the memory in use now and ``RESERVE``."""
    in_use = current_rss()
    floor = in_use + RESERVE + 64 * rows_per_replicate * ROW_BYTES
    if max_memory < floor:
        raise InvalidParameterError(
            f"The 'max_memory' parameter must be at least {floor / 2 ** 30:.2f} GiB for this study (in use now "
            f"{in_use / 2 ** 30:.2f} GiB, compiler and runtime reserve {RESERVE / 2 ** 30:.2f} GiB, one block "
            f"of 64 replicates × {rows_per_replicate} sizes). Got {max_memory / 2 ** 30:.2f} GiB instead.")
    fits = (max_memory - in_use - RESERVE) // (rows_per_replicate * ROW_BYTES)
    return int(max(64, min(MAX_BLOCK, -(-reps // 64) * 64, fits // 64 * 64)))
