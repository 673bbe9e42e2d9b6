"""What a run returns and records: the long table's rows, the summary, the manifest's version stamps."""
from __future__ import annotations

import json
import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .._compile_cache import xla_settings
from ._design import DESIGN_COLUMNS, METRICS, TEST_METRICS
from ._memory import peak_rss
from ._summary import SIZE_KEYS, Summary

class Results:
    """What ``run`` returns: the long table (one row per cell × replicate × size), the summary
    (mean and MCSE per cell × size), and the manifest (design, seed, versions, flags, timings).
    ``table`` may be given as the path of a Parquet file, read when first used (large runs)."""

    def __init__(self, table, summary: pd.DataFrame, manifest: dict):
        self._table, self.summary, self.manifest = table, summary, manifest

    @property
    def table(self) -> pd.DataFrame:
        if isinstance(self._table, Path):
            self._table = pd.read_parquet(self._table) if self._table.exists() else pd.DataFrame()
        return self._table

    def save(self, out_dir) -> Path:
        """Write results.parquet, summary.parquet and manifest.json under ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        target = out / "results.parquet"
        if not isinstance(self._table, Path):
            self._table.to_parquet(target, index=False)
        elif self._table.resolve() != target.resolve():
            shutil.copyfile(self._table, target)
        self.summary.to_parquet(out / "summary.parquet", index=False)
        (out / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str))
        return out

    @classmethod
    def load(cls, out_dir) -> "Results":
        """Read what ``save`` wrote (to redraw figures without re-running the simulation)."""
        out = Path(out_dir)
        missing = [f for f in ("results.parquet", "summary.parquet", "manifest.json") if not (out / f).exists()]
        if missing:
            raise FileNotFoundError(f"{out} has no saved results ({', '.join(missing)} missing); run the study first.")
        return cls(out / "results.parquet", pd.read_parquet(out / "summary.parquet"),
                   json.loads((out / "manifest.json").read_text()))


def custom_results(name: str, table: pd.DataFrame, summary: pd.DataFrame, design: dict, seed: int, reps: int,
                   wall_s: float, compile_s: float) -> Results:
    """Results of a study with its own replicate (tuners, tests), with the same manifest fields."""
    manifest = dict(study=dict(name=name, seed=seed, reps=reps, **design), dtype=str(jnp.zeros(()).dtype),
                    jax_flags=jax_flags(), xla=xla_settings(), versions=versions(), wall_s=wall_s, compile_s=compile_s, peak_rss=peak_rss(),
                    machine=dict(platform=platform.platform(), devices=[str(d) for d in jax.devices()]))
    return Results(table, summary, manifest)


def block_frame(row, cols, sizes, gammas, rep_offset: int, bayes: dict) -> pd.DataFrame:
    """The long-table rows of one block: design columns, replicate and size indices, metrics, diagnostics."""
    R, S = cols["status"].shape
    frame = pd.DataFrame({k: v.reshape(-1) for k, v in cols.items()})
    frame.insert(0, "n_syn", np.tile(sizes, R))
    frame.insert(0, "gamma", np.tile(np.asarray(gammas, float), R))
    frame.insert(0, "size_index", np.tile(np.arange(S), R))
    frame.insert(0, "rep", np.repeat(np.arange(rep_offset, rep_offset + R), S))
    for col in reversed(DESIGN_COLUMNS):
        frame.insert(0, col, getattr(row, col))
    for name, value in bayes.items():
        frame[f"regret_{name}"] = value - frame[name]
    return frame


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and Monte-Carlo SE (SD/√R over finite values) of each metric per cell × size, with the
    number of replicates and of failed fits (status ≠ OK); see ``Summary``."""
    return summary_accumulator(table.columns).add(table).result()


def summary_accumulator(columns) -> Summary:
    """The streaming summary of a long table with these columns (one cell × size per group)."""
    return Summary(DESIGN_COLUMNS + SIZE_KEYS, [c for c in METRICS + TEST_METRICS if c in columns])


#: the JAX settings that change numbers or random streams: a run store refuses to resume under others
NUMERIC_JAX_FLAGS = ("jax_enable_x64", "jax_default_prng_impl", "jax_threefry_partitionable",
                     "jax_default_matmul_precision")


def numeric_jax_flags() -> dict:
    """The current values of ``NUMERIC_JAX_FLAGS``."""
    return {name: getattr(jax.config, name) for name in NUMERIC_JAX_FLAGS}


def jax_flags() -> dict:
    """The JAX settings that change numbers or random streams, and the compile cache's folder, for the manifest."""
    return dict(numeric_jax_flags(), jax_compilation_cache_dir=jax.config.jax_compilation_cache_dir)


def versions() -> dict:
    out = {"python": sys.version.split()[0]}
    for pkg in ("synthjax", "jax", "jaxlib", "numpy", "pandas"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out
