"""Command line: ``synthjax run sims/quickstart.py [--reps R] [--out DIR] [--seed S] [--dtype float32|float64]``.

A study file is a Python module with either a function ``study(reps=None, seed=0, full=False) ->
Study`` (run by the grid runner; it may also define ``figures(results, out_dir)``, default: the
size curve of the balanced excess risk), or a function ``run(reps=None, seed=0, out=..., full=False)
-> summary table`` for studies with their own replicate (tuners, tests).
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path


def load_study_module(path: str):
    p = Path(path)
    if not p.is_file():
        raise SystemExit(f"synthjax: the study file {path!r} does not exist (e.g. sims/quickstart.py).")
    spec = importlib.util.spec_from_file_location(f"synthjax_study_{p.stem}", p)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not (hasattr(module, "study") or hasattr(module, "run")):
        raise SystemExit(f"synthjax: {path} must define study(reps=None, seed=0, full=False) -> Study or "
                         f"run(reps=None, seed=0, out=..., full=False).")
    return module


def _run(args) -> int:
    import jax
    if args.dtype == "float64":  # set before any array is made; recorded in the manifest
        jax.config.update("jax_enable_x64", True)
    import pandas as pd

    from . import plot, runner

    module = load_study_module(args.study)
    if hasattr(module, "run"):   # a study with its own replicate (tuners, tests): run(reps, seed, out) -> table
        out = Path(args.out or Path("results") / Path(args.study).stem)
        t0 = time.perf_counter()
        table = module.run(reps=args.reps, seed=args.seed, out=out, full=args.full)
        with pd.option_context("display.width", 160, "display.max_rows", 400, "display.float_format", "{:.4g}".format):
            print(table.to_string(index=False))
        print(f"synthjax: wrote {out} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        return 0
    study = module.study(reps=args.reps, seed=args.seed, full=args.full)
    out = Path(args.out or Path("results") / study.name)
    t0 = time.perf_counter()
    print(f"synthjax: running {study.name} ({len(study.design())} shape-cells × {study.reps} replicates × "
          f"{len(study.gamma)} sizes, {args.dtype}) ...", file=sys.stderr)
    results = runner.run(study, verbose=True)
    results.save(out)
    cols = ["generator", "n0", "n1", "gamma", "n_syn", "excess_risk", "excess_risk_mcse", "regret_auroc", "n_failed"]
    with pd.option_context("display.width", 160, "display.max_rows", 400, "display.float_format", "{:.4g}".format):
        print(results.summary[[c for c in cols if c in results.summary]].to_string(index=False))
    if hasattr(module, "figures"):
        written = module.figures(results, out)
    else:
        path = out / "excess_risk.png"
        plot.size_curve(results.summary, caption_text=plot.caption(results.manifest), path=path)
        written = [path]
    print(f"synthjax: wrote {out}/results.parquet, summary.parquet, manifest.json and "
          f"{', '.join(str(w) for w in written)} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="synthjax", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a study file and write its table, summary, manifest and figure")
    r.add_argument("study", help="path to a study module, e.g. sims/quickstart.py")
    r.add_argument("--reps", type=int, default=None, help="Monte-Carlo replicates per cell (default: the study's)")
    r.add_argument("--out", default=None, help="output folder (default: results/<study name>)")
    r.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    r.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    r.add_argument("--full", action="store_true", help="the paper's design size (default: a quick version)")
    args = parser.parse_args(argv)
    if args.reps is not None and args.reps < 1:
        parser.error(f"argument --reps: must be an int >= 1. Got {args.reps} instead.")
    if args.seed < 0:
        parser.error(f"argument --seed: must be an int >= 0. Got {args.seed} instead.")
    return _run(args)


if __name__ == "__main__":
    raise SystemExit(main())
