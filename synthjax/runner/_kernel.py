"""The replicate kernel of a shape-cell, in three compiled parts.

``draw`` samples the real data; ``generate`` fits the generator and draws its synthetic pool; ``evaluate`` fits the
learner over the nested size masks and computes the risk and metrics. ``draw`` and ``evaluate`` do not depend on
the generator, so they are compiled once per shape (n0, n1, pool size, d, learner, dtype, batch) and reused by
every generator of a study (``draw_chunk``, ``evaluate_chunk`` keep the compiled programs); each generator
compiles only its own ``generate``. A DGP's sampler and oracles that bind its arrays to a family's function (the
built-in DGPs: ``partial(f, arrays)``) are compiled with those arrays as arguments (``bound_arrays``), so studies whose
DGPs differ only in their values (a grid over the separation δ, the well- and misspecified designs of one dimension)
share the draw and evaluate programs. (Compiling a vmapped threefry draw costs seconds on a CPU: the data draw is
the largest part of a small cell's compilation.) Each part is a ``Program``: compiled ahead of time with
``compiler_options()`` (on a CPU: LLVM level 1 and the classic emitters, half the compilation at the same speed),
without running a batch to compile it.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import metrics as M
from .._compile_cache import compiler_options
from .._memo import OwnedCache
from ..dgp import DGP, bound_arrays, sample_metrics
from ..learn import OK, Learner, bind, path_fit
from ..synth import Synthesizer, nested_mask, synthetic_sizes
from . import _executables
from ._design import MODEL_TAG, Study, stream_tag

#: fold_in tags of a replicate's key: its real data, its test sample (the generator's tag is its ``stream_tag``).
DATA_TAG, TEST_TAG = 0, 2


def replicate_keys(seed, cell, rep_ids):
    """Keys fold_in(fold_in(key(seed), cell), r) for each replicate id r (all may be traced)."""
    cell_key = jax.random.fold_in(jax.random.key(seed), cell)
    return jax.vmap(lambda r: jax.random.fold_in(cell_key, r))(jnp.asarray(rep_ids, jnp.uint32))


def _draw(sample, n0: int, n1: int):
    """``draw(key, sample_args) -> (X0, X1)`` = sample(*sample_args, key', n0, n1) (``bound_arrays``)."""
    def draw(key, sample_args):
        return sample(*sample_args, jax.random.fold_in(key, DATA_TAG), n0, n1)
    return draw


def make_draw(dgp: DGP, n0: int, n1: int):
    """``draw(key) -> (X0, X1)``: the replicate's real data, (X0, X1) ~ P0^n0 × P1^n1 (no generator involved)."""
    sample, sample_args = bound_arrays(dgp.sample)
    draw = _draw(sample, n0, n1)
    return lambda key: draw(key, sample_args)


def make_generate(synth: Synthesizer, n0: int, n1: int, m: int, generator_tag: int = 1):
    """``generate(key, X0, X1, synth_hyper) -> (X, y_pool)``: one pool of m synthetic points from the synthesizer
    fitted on X1 (and X0), stacked as X = [X0; X1; pool] (n0 + n1 + m, d); y_pool holds the pool's labels (1, or
    the method's soft labels)."""
    def generate(key, X0, X1, synth_hyper):
        k_fit, k_sample = jax.random.split(jax.random.fold_in(key, generator_tag))
        pool = synth.sample(k_sample, synth.fit(k_fit, X1, X0, synth_hyper), m)
        X = jnp.concatenate([X0, X1, pool.X])
        return X, (jnp.ones(m, X.dtype) if pool.y is None else pool.y.astype(X.dtype))
    return generate


def _oracles(dgp: DGP):
    """(functions, arrays) of the DGP's sampler, population risk and population metrics (``bound_arrays``)."""
    return tuple(zip(*(bound_arrays(f) for f in (dgp.sample, dgp.population_risk, dgp.population_metrics))))


def _evaluate(oracles, learner: Learner, n0: int, n1: int, m: int, n_test: int, metrics: bool):
    """``make_evaluate`` with the DGP's arrays as the last argument: ``evaluate(key, X, y_pool, sizes, risk_star,
    learner_hyper, evaluation, oracle_args)``, ``oracles`` = the sampler, risk and metrics functions (``_oracles``)."""
    exact = isinstance(learner, Learner)
    sample, population_risk, population_metrics = oracles

    def evaluate(key, X, y_pool, sizes, risk_star, learner_hyper, evaluation, oracle_args):
        sample_args, risk_args, metrics_args = oracle_args
        y = jnp.concatenate([jnp.zeros(n0, X.dtype), jnp.ones(n1, X.dtype), y_pool])
        real = jnp.ones((sizes.shape[0], n0 + n1), X.dtype)
        W = jnp.concatenate([real, nested_mask(sizes, m, X.dtype)], axis=1)
        model = bind(learner, jax.random.fold_in(key, MODEL_TAG), X[:n0 + n1])
        params, info = path_fit(model)(X, y, W, learner_hyper)
        if exact:
            risk = jax.vmap(lambda p: population_risk(*risk_args, learner.loss, p))(params)
        else:
            E, labels = evaluation
            risk = jax.vmap(lambda p: M.balanced_risk(model.loss, model.score(p, E), labels))(params)
        out = dict(excess_risk=risk - risk_star, risk=risk)
        if metrics and exact:
            out.update(jax.vmap(lambda p: population_metrics(*metrics_args, p))(params))
        elif metrics:
            half = labels.shape[0] // 2                    # the evaluation sample: n_eval of class 0, then of class 1
            out.update(jax.vmap(lambda p: sample_metrics(model.score(p, E)[:half], model.score(p, E)[half:]))(params))
        if n_test:
            T0, T1 = sample(*sample_args, jax.random.fold_in(key, TEST_TAG), n_test, n_test)
            T = jnp.concatenate([T0, T1])
            labels = jnp.concatenate([jnp.zeros(n_test, X.dtype), jnp.ones(n_test, X.dtype)])

            def test_metrics(p):
                s = model.score(p, T)
                return dict(test_auroc=M.auroc(s, labels), test_auprc=M.auprc(s, labels),
                            test_best_ba=M.best_threshold_balanced_accuracy(s, labels),
                            test_best_f1=M.best_threshold_f1(s, labels),
                            test_balanced_loss=M.balanced_risk(model.loss, s, labels))
            out.update(jax.vmap(test_metrics)(params))
        failed = info.status != OK
        out = {k: jnp.where(failed, jnp.nan, v) for k, v in out.items()}
        out.update(iterations=info.iterations, grad_norm=info.grad_norm, converged=info.converged,
                   status=info.status)
        return out

    return evaluate


def make_evaluate(dgp: DGP, learner: Learner, n0: int, n1: int, m: int, n_test: int = 0, metrics: bool = True):
    """``evaluate(key, X, y_pool, sizes (S,), risk_star, learner_hyper, evaluation=()) -> dict of (S,) arrays``:
    draw the learner's random parts (``learn.bind`` on the real rows), fit it on X with weight mask
    [1; 1; 1{j < ñ_s}] for each size s, and evaluate the population (and optionally test-sample) metrics:
    exact for a linear learner, else on the ``evaluation`` sample (X, labels). A failed fit (status ≠ OK)
    gives NaN metrics and keeps its status."""
    oracles, oracle_args = _oracles(dgp)
    evaluate = _evaluate(oracles, learner, n0, n1, m, n_test, metrics)

    def evaluate_bound(key, X, y_pool, sizes, risk_star, learner_hyper, evaluation=()):
        return evaluate(key, X, y_pool, sizes, risk_star, learner_hyper, evaluation, oracle_args)
    return evaluate_bound


def make_replicate(dgp: DGP, synth: Synthesizer, learner: Learner, n0: int, n1: int, m: int,
                   n_test: int = 0, generator_tag: int = 1, metrics: bool = True):
    """One replicate of one shape-cell, every synthetic size at once, as one function:
    ``replicate(key, sizes, risk_star, synth_hyper, learner_hyper, evaluation=())`` = ``evaluate`` of ``generate``
    of ``draw`` (the runner compiles the three parts apart, ``cell_chunk``: equal to float32 rounding, not bit for
    bit)."""
    draw = make_draw(dgp, n0, n1)
    generate = make_generate(synth, n0, n1, m, generator_tag)
    evaluate = make_evaluate(dgp, learner, n0, n1, m, n_test, metrics)

    def replicate(key, sizes, risk_star, synth_hyper, learner_hyper, evaluation=()):
        return evaluate(key, *generate(key, *draw(key), synth_hyper), sizes, risk_star, learner_hyper, evaluation)
    return replicate


def replicate_batch(n_sizes: int, n_rows: int) -> int:
    """Replicates per vmapped batch: small enough that a batch's (sizes × rows) working arrays stay in
    cache (about 2 MB in float32), a power of two up to 64. It depends on the shape-cell only — never on the chunk
    size or the number of replicates — so every replicate is computed by the same compiled batch
    program and the numbers do not depend on how the run is chunked."""
    fits = max(1, 2 ** 19 // (n_sizes * n_rows))
    return int(min(64, 2 ** int(np.log2(fits))))


def cell_replicate(study: Study, generator: str, n0: int, n1: int):
    """The replicate function of a shape-cell, its size grid and its vmapped batch
    (``replicate_batch``): ``replicate(key, sizes, risk*, synth_hyper, learner_hyper)``."""
    sizes = synthetic_sizes(study.gammas(n0, n1), n0, n1)
    replicate = make_replicate(study.dgp, study.synthesizers[generator], study.learner, n0, n1,
                               int(sizes.max()), study.n_test, stream_tag(generator), study.metrics)
    return replicate, sizes, replicate_batch(len(sizes), n0 + n1 + int(sizes.max()))


class Program:
    """A jitted function compiled ahead of time (``lower(…).compile()``), once per argument signature (structure,
    shapes, dtypes, weak types, devices), without running it. Called with ``jax.ShapeDtypeStruct`` leaves it only
    compiles and returns the output's shapes, so a chain of programs (``cell_chunk``) is compiled by one abstract
    call instead of a wasted batch; called with arrays it runs the stored executable — the abstract call's, when the
    arrays sit on the default device (one compilation per program, not a second one for the run). With the compile
    cache on, executables are kept on disk and a later process loads them without tracing (``_executables``)."""

    def __init__(self, fn):
        self.fn, self.compiler_options = fn, compiler_options()
        self.executables = {}

    def __call__(self, *args):
        leaves, tree = jax.tree_util.tree_flatten(args)
        default = jax.sharding.SingleDeviceSharding(jax.devices()[0])    # what an abstract leaf compiles for
        signature = (tree, tuple((jax.typeof(x), getattr(x, "sharding", None) or default) for x in leaves))
        executable = self.executables.get(signature)
        if executable is None:
            executable = self.executables[signature] = _executables.load_or_compile(
                self.fn, self.compiler_options, signature, args)
        if any(isinstance(x, jax.ShapeDtypeStruct) for x in leaves):
            return executable.out_info
        return executable(*args)


def replicate_chunk(replicate) -> Program:
    """Compiled ``chunk(seed, cell, rep_ids, *args) -> pytree of (len(rep_ids), …) arrays``: replicate r
    gets key fold_in(fold_in(key(seed), cell), r), vmapped over ``rep_ids``. Everything but the
    replicate's code is dynamic: a new seed, cell, size grid or hyperparameter value reuses the
    compiled program."""
    def chunk(seed, cell, rep_ids, *args):
        return jax.vmap(lambda k: replicate(k, *args))(replicate_keys(seed, cell, rep_ids))
    return Program(chunk)


def _on_data(fn, n_data: int) -> Program:
    """Compiled ``chunk(seed, cell, rep_ids, *data, *args)``: ``fn(key, *data, *args)`` vmapped over the replicates'
    keys and the leading axis of the ``n_data`` data arrays."""
    def chunk(seed, cell, rep_ids, *rest):
        data, args = rest[:n_data], rest[n_data:]
        return jax.vmap(lambda k, *d: fn(k, *d, *args))(replicate_keys(seed, cell, rep_ids), *data)
    return Program(chunk)


#: compiled chunks by shape (the data draw, a generator's pool, the learner and metrics), kept for the last few
#: (DGP family, generator, learner) combinations of this process.
_SHARED = OwnedCache(keep=32)


def shared_replicate_chunk(replicate) -> Program:
    """``replicate_chunk(replicate)``, built once per replicate function (the last few are kept), so that calls of
    ``map_replicates`` with one replicate and new dynamic arguments (a parameter value of the design) reuse its
    compiled program."""
    return _SHARED.get(("replicate", id(replicate)), (replicate,), lambda: replicate_chunk(replicate))


def draw_chunk(study: Study, n0: int, n1: int):
    """The jitted real-data draw ``chunk(seed, cell, rep_ids, sample_args)`` of a study's shape (n0, n1), compiled once
    per DGP family (``bound_arrays``) and shape, shared by the study's generators and by studies of that family."""
    sample = bound_arrays(study.dgp.sample)[0]
    return _SHARED.get(("draw", id(sample), n0, n1), (sample,), lambda: replicate_chunk(_draw(sample, n0, n1)))


def generate_chunk(synth: Synthesizer, n0: int, n1: int, m: int, generator_tag: int):
    """The jitted ``generate`` chunk ``chunk(seed, cell, rep_ids, X0, X1, synth_hyper)`` of a generator and shape, one
    per synthesizer object (its ``fit`` and ``sample``), so a generator used in several studies compiles once."""
    key = ("generate", id(synth.fit), id(synth.sample), n0, n1, m, generator_tag)
    return _SHARED.get(key, (synth.fit, synth.sample),
                       lambda: _on_data(make_generate(synth, n0, n1, m, generator_tag), 2))


def evaluate_chunk(study: Study, n0: int, n1: int, m: int):
    """The jitted ``evaluate`` chunk of a study's shape (n0, n1, m), ``chunk(seed, cell, rep_ids, X, y_pool, sizes,
    risk*, learner_hyper, evaluation, oracle_args)``: one Python function per (DGP family, learner, shape, test size,
    metrics), so jax.jit compiles it once and every generator of the study (and every DGP of the family) reuses it."""
    oracles = _oracles(study.dgp)[0]
    return _SHARED.get(("evaluate", *map(id, oracles), id(study.learner), n0, n1, m, study.n_test, study.metrics),
                       (*oracles, study.learner),
                       lambda: _on_data(_evaluate(oracles, study.learner, n0, n1, m, study.n_test, study.metrics), 2))


def cell_chunk(study: Study, generator: str, n0: int, n1: int):
    """(chunk, sizes, batch) of a shape-cell in three compiled parts: the shape's shared data draw
    (``draw_chunk``), the generator's ``generate`` chunk (``generate_chunk``) and the shape's shared ``evaluate``
    chunk (``evaluate_chunk``), so a study's second and later generators compile only their own synthesizer.
    ``chunk(seed, cell, rep_ids, oracle_args, synth_hyper, sizes, risk*, learner_hyper, evaluation)``, with
    ``oracle_args`` = ``cell_arguments(study)``, gives what ``replicate_chunk(cell_replicate(…))`` gives up to a few
    float32 ulps (XLA compiles reductions differently in the smaller programs; each program is fixed per shape, so
    chunk and device invariance stay bit for bit)."""
    sizes = synthetic_sizes(study.gammas(n0, n1), n0, n1)
    m = int(sizes.max())
    draw = draw_chunk(study, n0, n1)
    generate = generate_chunk(study.synthesizers[generator], n0, n1, m, stream_tag(generator))
    evaluate = evaluate_chunk(study, n0, n1, m)

    def chunk(seed, cell, rep_ids, oracle_args, synth_hyper, *args):
        X0, X1 = draw(seed, cell, rep_ids, oracle_args[0])
        X, y_pool = generate(seed, cell, rep_ids, X0, X1, synth_hyper)
        return evaluate(seed, cell, rep_ids, X, y_pool, *args, oracle_args)
    return chunk, sizes, replicate_batch(len(sizes), n0 + n1 + m)


def cell_arguments(study: Study) -> tuple:
    """The DGP's arrays that ``cell_chunk``'s programs take as arguments (sampler, risk, metrics: ``bound_arrays``)."""
    return _oracles(study.dgp)[1]
