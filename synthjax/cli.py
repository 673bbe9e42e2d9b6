"""Command line.

    synthjax run sims/<study>.py [--reps R] [--out DIR] [--seed S] [--dtype float32|float64] [--prng rbg] [--full]
                                 [--shard i/N] [--force] [--max-memory 4GiB] [--executor local|ray]
                                 [--no-compile-cache]
    synthjax figures [sims/<study>.py ...] [--root results]
    synthjax status <run dir>      synthjax collect <run dir>

A study file is a Python module with either ``study(reps=None, seed=0, full=False) -> Study`` (run by the
grid runner) or ``run(reps=None, seed=0, full=False[, out=None]) -> Results`` (a study with its own
replicate: tuners, tests; with an ``out`` parameter it is given the output folder to keep finished
replicates in, so a rerun resumes). It may define ``figures(results, out_dir) -> [paths]``, which draws its figures and
writes its ``findings.md`` from saved results (default: the size curve of the balanced excess risk),
``annotate(summary) -> summary``, which adds prediction columns (theory beside simulation) to a grid
study's summary before it is saved and printed (it is given the summary's design columns only — generator, n0, n1,
size_index, gamma, n_syn — and runs while the replicates compute), ``PRINT_COLUMNS`` for the printed summary and
``PRINT_ROWS`` (a ``DataFrame.query`` string) for the rows printed when the summary holds more than one kind of row.
``synthjax figures`` redraws every study's figures from ``results/<study>/`` without re-running anything.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import threading
import time
from pathlib import Path

DEFAULT_COLUMNS = ["generator", "n0", "n1", "gamma", "n_syn", "excess_risk", "excess_risk_mcse", "regret_auroc",
                   "n_failed"]


def load_study_module(path: str):
    p = Path(path)
    if not p.is_file():
        raise SystemExit(f"synthjax: the study file {path!r} does not exist (e.g. sims/quickstart.py).")
    spec = importlib.util.spec_from_file_location(f"synthjax_study_{p.stem}", p)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not (hasattr(module, "study") or hasattr(module, "run")):
        raise SystemExit(f"synthjax: {path} must define study(reps=None, seed=0, full=False) -> Study or "
                         f"run(reps=None, seed=0, full=False) -> Results.")
    return module


def check_out_dir(out: Path) -> None:
    """Create the output folder and prove it writable before any work, or exit with one line naming it."""
    probe = out / f".synthjax-write-test-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise SystemExit(f"synthjax: cannot write the output folder --out {str(out)!r}: "
                         f"{err.strerror or err} (choose a folder you can create and write).")


def draw(module, results, out: Path) -> list:
    """The study's figures (and findings), or the default size curve."""
    from . import plot
    if hasattr(module, "figures"):
        return module.figures(results, out)
    path = out / "excess_risk.png"
    plot.size_curve(results.summary, caption_text=plot.caption(results.manifest), path=path)
    return [path]


#: A study's ``annotate`` runs beside its cells only when the learner is linear with fewer parameters than this.
#: jaxlib 0.10.2's batched LAPACK kernels (a vmapped Cholesky) hand work to XLA's intra-op threads above some size and
#: block on it: two such programs on two Python threads can hold both threads of a 2-core machine for ever (16 × 64²
#: factors do, 16 × 48² or 64 × 20² do not). With a small learner the cells' factors stay below that size.
OVERLAP_MAX_PARAMETERS = 32


def overlaps_annotate(study) -> bool:
    """Whether ``synthjax run`` may compute the theory beside the cells (``OVERLAP_MAX_PARAMETERS``)."""
    from .learn import Learner
    learner = study.learner
    return isinstance(learner, Learner) and study.dgp.d + int(learner.intercept) < OVERLAP_MAX_PARAMETERS


def _annotate_meanwhile(module, study):
    """Start the study's ``annotate`` on its design rows (``Study.size_table``) on a second thread, so the theory is
    traced and compiled while the runner computes the replicates (the quickstart: 17.1 → 15.8 s cold), or, for a
    learner too large to overlap safely (``overlaps_annotate``), after them; returns ``summary ↦ summary`` with the
    predicted columns joined on (generator, n0, n1, n_syn)."""
    from concurrent.futures import ThreadPoolExecutor
    design = study.size_table()
    if overlaps_annotate(study):
        pool = ThreadPoolExecutor(1, thread_name_prefix="synthjax-annotate")
        pending = pool.submit(module.annotate, design)
        pool.shutdown(wait=False)               # the thread ends with its one task
        predictions = pending.result
    else:
        def predictions():
            return module.annotate(design)

    def join(summary):
        predicted = predictions()
        keys = ["generator", "n0", "n1", "n_syn"]
        new = [c for c in predicted if c not in design]
        return summary.drop(columns=new, errors="ignore").merge(predicted[keys + new], on=keys, how="left")
    return join


def _run(args) -> int:
    from ._compile_cache import cpu_options_for_every_program
    cpu_options_for_every_program()         # before the first array: XLA reads its flags once
    import jax
    if args.dtype == "float64":  # set before any array is made; recorded in the manifest
        jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_default_prng_impl", args.prng)   # before any key; in the manifest and the run's key
    if not args.no_compile_cache:
        from ._compile_cache import enable_compile_cache
        enable_compile_cache()
    import pandas as pd

    from . import runner
    from ._validate import InvalidParameterError

    module = load_study_module(args.study)
    out = Path(args.out or Path("results") / Path(args.study).stem)
    check_out_dir(out)
    t0 = time.perf_counter()
    # the figures' modules (matplotlib: ~0.6 s) are imported while the replicates run, not after them
    threading.Thread(target=importlib.import_module, args=("synthjax.plot",), daemon=True).start()
    if hasattr(module, "run"):
        import inspect
        parameters = inspect.signature(module.run).parameters
        extra = {"out": out} if "out" in parameters else {}
        if args.executor == "ray":
            if "executor" not in parameters:
                raise SystemExit(f"synthjax: {args.study} runs its own replicates and takes no --executor.")
            extra["executor"] = runner.RayExecutor(address=args.ray_address)
        results = module.run(reps=args.reps, seed=args.seed, full=args.full, **extra)     # out: resumable
    else:
        study = module.study(reps=args.reps, seed=args.seed, full=args.full)
        print(f"synthjax: running {study.name} ({len(study.design())} shape-cells × {study.reps} replicates, "
              f"{args.dtype}) ...", file=sys.stderr)
        theory = _annotate_meanwhile(module, study) if hasattr(module, "annotate") and args.shard is None else None
        try:
            executor = runner.RayExecutor(address=args.ray_address) if args.executor == "ray" else None
            results = runner.run(study, verbose=True, out=out, shard=args.shard, force=args.force,
                                 max_memory=args.max_memory, executor=executor)
        except (runner.DesignChanged, runner.StoreWriteError, InvalidParameterError) as err:
            raise SystemExit(f"synthjax: {err}")
        if args.shard is not None:
            print(f"synthjax: shard {args.shard[0]}/{args.shard[1]} done; `synthjax collect {out}` merges.",
                  file=sys.stderr)
        elif theory is not None and len(results.summary):
            results.summary = theory(results.summary)
    results.save(out)
    printed = results.summary.query(module.PRINT_ROWS) if hasattr(module, "PRINT_ROWS") else results.summary
    columns = [c for c in getattr(module, "PRINT_COLUMNS", DEFAULT_COLUMNS) if c in printed]
    with pd.option_context("display.width", 160, "display.max_rows", 400, "display.float_format", "{:.4g}".format):
        print(printed[columns or list(printed)].to_string(index=False))
    written = draw(module, results, out)
    print(f"synthjax: wrote {out}/ (results, summary, manifest, {', '.join(Path(w).name for w in written)}) in "
          f"{time.perf_counter() - t0:.1f} s (compile {results.manifest.get('compile_s', float('nan')):.1f} s, peak "
          f"memory {results.manifest.get('peak_rss', float('nan')) / 2 ** 30:.2f} GiB)",
          file=sys.stderr)
    return 0


def _figures(args) -> int:
    from .runner import Results
    files = args.studies or sorted(str(p) for p in Path("sims").glob("*.py"))
    missing = []
    for path in files:
        module = load_study_module(path)
        out = Path(args.root) / Path(path).stem
        try:
            results = Results.load(out)
        except FileNotFoundError as err:
            missing.append(str(err))
            continue
        written = draw(module, results, out)
        print(f"synthjax: {path}: redrew {', '.join(str(w) for w in written)}", file=sys.stderr)
    for line in missing:
        print(f"synthjax: skipped: {line}", file=sys.stderr)
    return 0


def _open_run(path: str):
    import json

    from .runner import RunStore
    run_file = Path(path) / "run.json"
    if not run_file.exists():
        raise SystemExit(f"synthjax: {path} is not a run directory (no run.json); run a study with --out first.")
    record = json.loads(run_file.read_text())
    store = RunStore.__new__(RunStore)          # read-only view: no design check, nothing written
    store.path, store.block_size = Path(path), int(record["block_size"])
    return store, record["description"]


def _own_replicate_status(store, description: dict) -> str:
    """One line on a run directory of a study with its own replicate: its finished blocks per cell."""
    import collections
    done = collections.Counter(p.name.split("__b")[0] for p in (store.path / "shards").glob("*__b*.parquet"))
    reps = description.get("reps")
    per_cell = "?" if reps is None else str(-(-int(reps) // store.block_size))
    cells = "; ".join(f"{cell}: {n} of {per_cell} blocks" for cell, n in sorted(done.items())) or "no block finished"
    return (f"synthjax: {store.path} holds a study with its own replicate ({description.get('design', 'custom')}; "
            f"blocks of {store.block_size} replicates): {cells}. Run its command again with the same --out to resume "
            f"and collect (status and collect read grid-runner runs).")


def _status(args) -> int:
    import pandas as pd
    store, description = _open_run(args.run)
    if "cells" not in description:              # a study with its own replicate (map_replicates, CoDSA tables)
        print(_own_replicate_status(store, description), file=sys.stderr)
        return 0
    cells = description["cells"]
    status = store.status(cells)
    with pd.option_context("display.width", 160, "display.max_colwidth", 80):
        print(status.to_string(index=False))
    counts = status.state.value_counts().to_dict()
    print(f"synthjax: {counts.get('finished', 0)} finished, {counts.get('missing', 0)} missing, "
          f"{counts.get('failed', 0)} failed of {len(status)} cells", file=sys.stderr)
    return 0


def _collect(args) -> int:
    import json
    store, description = _open_run(args.run)
    if "cells" not in description:
        raise SystemExit(_own_replicate_status(store, description))
    cells = description["cells"]
    out = Path(args.run)
    table, summary = store.collect(cells, out / "results.parquet")
    status = store.status(cells)
    rows = 0
    if len(summary):
        summary.to_parquet(out / "summary.parquet", index=False)
        rows = int(summary.reps.sum())
    missing = status[status.state != "finished"]
    (out / "collect.json").write_text(json.dumps(dict(replicate_sizes=rows, missing=missing.cell.tolist()), indent=2))
    print(f"synthjax: collected {rows} rows from {int((status.state == 'finished').sum())} finished cells into "
          f"{out}/results.parquet and summary.parquet", file=sys.stderr)
    if len(missing):
        print(f"synthjax: missing or failed cells: {', '.join(missing.cell)}", file=sys.stderr)
    return 0


def _shard(text: str):
    try:
        i, n = (int(v) for v in text.split("/"))
        assert n >= 1 and 0 <= i < n
    except (ValueError, AssertionError):
        raise argparse.ArgumentTypeError(f"must be i/N with 0 <= i < N (e.g. 0/4). Got {text!r} instead.")
    return i, n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="synthjax", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a study file and write its table, summary, manifest, figures, findings")
    r.add_argument("study", help="path to a study module, e.g. sims/quickstart.py")
    r.add_argument("--reps", type=int, default=None, help="Monte-Carlo replicates per cell (default: the study's)")
    r.add_argument("--out", default=None, help="output folder (default: results/<study file name>)")
    r.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    r.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    r.add_argument("--prng", choices=["threefry2x32", "rbg", "unsafe_rbg"], default="threefry2x32",
                   help="JAX's random-bit generator (default threefry2x32, JAX's default; rbg and unsafe_rbg draw "
                   "other streams, 1.1-1.4x faster draws here: benchmarks/prng.py). Set before the first JAX call: "
                   "JAX's trace cache does not see it")
    r.add_argument("--full", action="store_true", help="the paper's design size (default: a quick version)")
    r.add_argument("--shard", type=_shard, default=None, help="i/N: run only cells with index ≡ i (mod N) "
                   "(a Slurm array task: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)")
    r.add_argument("--force", action="store_true", help="if --out holds a different design, move it aside and start over")
    r.add_argument("--max-memory", default=None, help="memory budget (e.g. 4GiB): choose the replicate block size "
                   "from it; the peak is reported")
    r.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="where cells run: this process (default) or Ray tasks")
    r.add_argument("--ray-address", default=None, help="Ray cluster to join (default: start a local one)")
    r.add_argument("--no-compile-cache", action="store_true", help="do not use the persistent XLA compilation "
                   "cache (default on, in $SYNTHJAX_CACHE_DIR or ~/.cache/synthjax/xla; env SYNTHJAX_NO_COMPILE_CACHE=1)")
    st = sub.add_parser("status", help="list finished, missing and failed cells of a run directory")
    st.add_argument("run")
    co = sub.add_parser("collect", help="merge a run directory's shards into results/summary and list missing cells")
    co.add_argument("run")
    f = sub.add_parser("figures", help="redraw figures and findings from saved results (no simulation)")
    f.add_argument("studies", nargs="*", help="study files (default: every sims/*.py)")
    f.add_argument("--root", default="results", help="folder holding results/<study>/ (default: results)")
    args = parser.parse_args(argv)
    if args.command in ("figures", "status", "collect"):
        return {"figures": _figures, "status": _status, "collect": _collect}[args.command](args)
    if args.reps is not None and args.reps < 1:
        parser.error(f"argument --reps: must be an int >= 1. Got {args.reps} instead.")
    if args.seed < 0:
        parser.error(f"argument --seed: must be an int >= 0. Got {args.seed} instead.")
    return _run(args)


if __name__ == "__main__":
    raise SystemExit(main())
