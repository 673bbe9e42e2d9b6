"""Mean and Monte-Carlo SE per cell × size, accumulated block by block in constant memory.

For each group (cell × size) and metric the accumulator keeps n, S1 = Σ(x − K) and S2 = Σ(x − K)²
over the finite values, with K the mean of the group's first 64 replicates (a shift that keeps the
sums well conditioned); mean = K + S1/n and MCSE = √((S2 − S1²/n) / ((n − 1) n)). Sums are formed
per group of 64 consecutive replicates and added in replicate order, and blocks are whole groups of
64, so the summary is identical bit for bit however the replicates were split into blocks.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..learn import OK

GROUP = 64
SIZE_KEYS = ["size_index", "gamma", "n_syn"]


class Summary:
    """``Summary(keys, metrics).add(frame) …  .result()`` — the streaming form of ``summarise``."""

    def __init__(self, keys, metrics):
        self.keys, self.metrics = list(keys), list(metrics)
        self.sums = None            # rows: one per group key; columns n_, s1_, s2_ per metric + counts
        self.shift = None

    def add(self, frame: pd.DataFrame) -> "Summary":
        if not len(frame):
            return self
        frame = frame.assign(_block=frame["rep"].to_numpy() // GROUP)
        first = frame[frame._block == frame.groupby(self.keys, sort=False)._block.transform("min")]
        new = first.groupby(self.keys, sort=False)[self.metrics].mean().fillna(0.0)   # mean of each group's first 64
        self.shift = new if self.shift is None else pd.concat([self.shift, new[~new.index.isin(self.shift.index)]])
        k = self.shift.reindex(pd.MultiIndex.from_frame(frame[self.keys])).to_numpy()
        x = frame[self.metrics].to_numpy(float) - k
        finite = np.isfinite(x)
        x = np.where(finite, x, 0.0)
        parts = {"status_failed": (frame["status"].to_numpy() != OK).astype(float), "reps": np.ones(len(frame)),
                 "iterations": frame["iterations"].to_numpy(float)}
        for j, m in enumerate(self.metrics):
            parts.update({f"n_{m}": finite[:, j].astype(float), f"s1_{m}": x[:, j], f"s2_{m}": x[:, j] ** 2})
        cols = pd.DataFrame(parts, index=frame.index)
        cols[self.keys + ["_block"]] = frame[self.keys + ["_block"]]
        block_sums = cols.groupby(self.keys + ["_block"], sort=False).sum()
        stacked = block_sums.droplevel("_block") if self.sums is None else pd.concat([self.sums, block_sums.droplevel("_block")])
        # sequential (replicate-order) addition per group: cumsum's last row
        self.sums = stacked.groupby(level=self.keys, sort=False).cumsum().groupby(level=self.keys, sort=False).last()
        return self

    def result(self) -> pd.DataFrame:
        if self.sums is None:
            return pd.DataFrame()
        s, out = self.sums, pd.DataFrame(index=self.sums.index)
        k = self.shift.reindex(s.index)
        mcse = {}
        for m in self.metrics:
            n, s1, s2 = s[f"n_{m}"], s[f"s1_{m}"], s[f"s2_{m}"]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[m] = np.where(n > 0, k[m] + s1 / n, np.nan)
                var = np.maximum(s2 - s1 * s1 / n, 0.0) / (n - 1)
                mcse[m + "_mcse"] = np.where(n >= 2, np.sqrt(var / n), np.nan)
        out = out.assign(**mcse)
        out["iterations"] = s["iterations"] / s["reps"]
        out["reps"] = s["reps"].astype(int)
        out["n_failed"] = s["status_failed"].astype(int)
        return out.reset_index()
