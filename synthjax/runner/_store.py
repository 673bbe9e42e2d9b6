"""Durable, resumable results: atomic Parquet shards keyed to the design and the code version.

A run directory holds ``run.json`` (the design description, its fingerprint, the code version and the
block size) and ``shards/``: one Parquet file per (cell × block of replicates), each written to a
temporary name and renamed, so an interrupted run leaves only complete shards. Resuming recomputes
only missing shards; a run whose design or code changed is refused with a message saying what changed.

Concurrent runs on one directory share the work: a run computes a cell only while it holds that cell's
claim, an exclusive ``fcntl.flock`` on ``claims/<cell>.lock``. The kernel drops the lock when its owner
exits or is killed, so a dead run's claims are taken over at once; a second run works on unclaimed
cells and then waits for the claimed ones. (Where ``fcntl`` is missing, e.g. Windows, claims always
succeed: runs then duplicate work, never corrupt it, since shards are written atomically.)
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ._fingerprint import code_version, fingerprint
from ._results import numeric_jax_flags, summary_accumulator

try:
    import fcntl
except ImportError:           # not POSIX: no claims
    fcntl = None


class DesignChanged(RuntimeError):
    """Resuming a run directory whose design or code version differs from the current one."""


class StoreWriteError(OSError):
    """A file of the run directory could not be written (a full disk, a quota, permissions): the run stops; every
    shard already written is complete and kept, no partial file is left, and rerunning resumes."""


def _atomic_write(path: Path, write) -> None:
    """``write(tmp)`` to a temporary name beside ``path``, then rename: ``path`` is whole or absent. On an OSError
    (ENOSPC part-way) the temporary file is removed and a ``StoreWriteError`` names the path and the reason."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise StoreWriteError(err.errno, f"synthjax could not write {path}: {reason}. Finished shards are kept and "
                                         f"no partial file is left; free space (or fix the folder) and rerun the same "
                                         f"command to resume.") from err


def _atomic_write_text(path: Path, text: str) -> None:
    _atomic_write(path, lambda tmp: tmp.write_text(text))


class RunStore:
    """The on-disk state of one run (see the module docstring)."""

    def __init__(self, path, description: dict, design_fingerprint: str, block_size: int, force: bool = False):
        self.path = Path(path)
        description = json.loads(json.dumps(description, default=str))    # as it will read back from run.json
        version = code_version()
        record = dict(description=description, fingerprint=design_fingerprint, code_version=version,
                      jax_flags=numeric_jax_flags(), block_size=block_size)
        run_file = self.path / "run.json"
        if run_file.exists():
            old = json.loads(run_file.read_text())
            changed = self._changes(old, record)
            if changed and not force:
                raise DesignChanged(
                    f"{self.path} holds results of a different design or code version ({'; '.join(changed)}). "
                    f"Resuming would mix them: use a new --out, or --force to move the old run aside and start over.")
            if changed:
                stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
                self.moved_to = self.path.with_name(f"{self.path.name}.replaced-{stamp}")
                os.replace(self.path, self.moved_to)
            else:
                record = old          # keep the original block size so shards line up
        (self.path / "shards").mkdir(parents=True, exist_ok=True)
        for stale in (self.path / "shards").glob(".*.tmp-*"):   # a write cut short by a kill: never a shard
            stale.unlink(missing_ok=True)
        (self.path / "errors").mkdir(exist_ok=True)
        if not run_file.exists():
            _atomic_write_text(run_file, json.dumps(record, indent=2, default=str))
        self.block_size = int(record["block_size"])

    @staticmethod
    def _changes(old: dict, new: dict) -> list:
        out = []
        if old.get("code_version") != new["code_version"]:
            out.append(f"code version {old.get('code_version')} → {new['code_version']}")
        if old.get("jax_flags") != new["jax_flags"]:
            out.append(f"JAX flags {old.get('jax_flags')} → {new['jax_flags']}")
        a, b = old.get("description", {}), new["description"]
        out += [f"{k}: {a.get(k)!r} → {b.get(k)!r}" for k in sorted(set(a) | set(b), key=str) if a.get(k) != b.get(k)]
        if not out and old.get("fingerprint") != new["fingerprint"]:
            out.append("the DGP, generators or learner changed (their parameters differ)")
        return out

    def claim(self, cell: str) -> bool:
        """Try to take the cell's claim (non-blocking); True if this process now holds it."""
        held = self.__dict__.setdefault("_claims", {})
        if cell in held:
            return True
        folder = self.path / "claims"
        folder.mkdir(exist_ok=True)
        fd = os.open(folder / f"{cell}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        held[cell] = fd
        return True

    def release(self, cell: str) -> None:
        fd = self.__dict__.get("_claims", {}).pop(cell, None)
        if fd is not None:
            os.close(fd)          # closing the descriptor drops the lock

    def release_all(self) -> None:
        for cell in list(self.__dict__.get("_claims", {})):
            self.release(cell)

    def claim_owner(self, cell: str) -> str:
        """Who holds (or last held) a cell's claim, e.g. 'pid 123 on host'."""
        try:
            return (self.path / "claims" / f"{cell}.lock").read_text() or "another run"
        except OSError:
            return "another run"

    def shard(self, cell: str, block: int) -> Path:
        return self.path / "shards" / f"{cell}__b{block:06d}.parquet"

    def has(self, cell: str, block: int) -> bool:
        return self.shard(cell, block).exists()

    def write(self, cell: str, block: int, frame: pd.DataFrame) -> None:
        _atomic_write(self.shard(cell, block), lambda tmp: frame.to_parquet(tmp, index=False))

    def record_error(self, cell: str, error: BaseException) -> None:
        _atomic_write_text(self.path / "errors" / f"{cell}.json",
                           json.dumps(dict(cell=cell, error=f"{type(error).__name__}: {error}")))

    def clear_error(self, cell: str) -> None:
        (self.path / "errors" / f"{cell}.json").unlink(missing_ok=True)

    def errors(self) -> dict:
        return {p.stem: json.loads(p.read_text())["error"] for p in sorted((self.path / "errors").glob("*.json"))}

    def status(self, cells: dict) -> pd.DataFrame:
        """One row per cell: blocks expected, finished, and its recorded error if any.
        ``cells`` maps cell name → number of blocks."""
        errors = self.errors()
        rows = [dict(cell=c, blocks=n, finished=sum(self.has(c, b) for b in range(n)), error=errors.get(c, ""))
                for c, n in cells.items()]
        frame = pd.DataFrame(rows)
        frame["state"] = np.where(frame.finished == frame.blocks, "finished",
                                  np.where(frame.error != "", "failed", "missing"))
        return frame

    def collect(self, cells: dict, path) -> tuple:
        """Stream the finished shards of the given cells (cell then block order) into one Parquet file at
        ``path`` (written atomically) while accumulating the summary; memory holds one shard at a time.
        Returns (path, summary); with no finished shard, (an empty frame, an empty frame).
        Memory: one batch of at most 2¹⁸ rows plus one shard."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        writer = summary = None
        pending, rows = [], 0

        def flush():              # shards go to the summary in batches of ≥ 2¹⁸ rows (fewer group-bys)
            if pending:
                summary.add(pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0])
                pending.clear()

        for c, n in cells.items():
            for b in range(n):
                if not self.has(c, b):
                    continue
                table = pq.read_table(self.shard(c, b))
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                    summary = summary_accumulator(table.column_names)
                writer.write_table(table.cast(writer.schema))
                pending.append(table.to_pandas())
                rows += table.num_rows
                if rows >= 2 ** 18:
                    flush()
                    rows = 0
        if writer is not None:
            flush()
        if writer is None:
            path.unlink(missing_ok=True)
            return pd.DataFrame(), pd.DataFrame()
        writer.close()
        os.replace(tmp, path)
        return path, summary.result()


def replicate_store(out, design: dict, seed: int, reps: int, block: int, study_file) -> RunStore:
    """The ``RunStore`` of a study with its own replicate (``map_replicates(…, store=)``) in folder ``out``, keyed to
    its design, seed, replicate count, block size and the study file's source (besides synthjax's code version):
    a rerun with any of them changed is refused rather than mixed."""
    source = hashlib.sha256(Path(study_file).read_bytes()).hexdigest()[:12]
    description = dict(design, seed=seed, reps=reps, block=block, study_source=source)
    return RunStore(out, description, fingerprint(description), block)
