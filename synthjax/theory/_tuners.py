"""Synthetic-size tuners that run inside a vmapped replicate: balancing, VTSS and TG-VTSS
(Ma & Zhang, arXiv 2601.16120; SPEC §5).

Sizes are γ values, ñ = round(γ (n0 − n1)) on whatever data the fit sees (the training folds during
validation, the full data at the end). Every candidate of a tuner is fitted in one batched solve
over nested masks of one synthetic pool of round(γ_max (n0 − n1)) points; candidates above γ_max are
clipped to it.

A learner with random parts (random features, a network) is drawn once per call from the tuner's key
(``learn.bind`` on the real rows); to compare rules on one model class, draw it once per replicate and
pass the drawn learner to each. The non-synthetic remedies, balanced reweighting and cost-sensitive
weights tuned by cross-validation, fit the same learner with class weights instead of synthetic points.

Padded data (STYLE "ragged data": a table padded to a shape bucket): every tuner takes row masks ``mask0``,
``mask1`` (0/1, beside X0 and X1; zero-padded feature columns need no mask under a ridge penalty). n0, n1 are
then the valid rows, folds split the valid rows only, the synthetic pool holds ⌈γ_max · rows of X0⌉ draws of a
generator fitted to the valid rows, and every draw is padding-invariant, so a table alone and inside a bucket
give the same numbers (``tests/test_collection.py``). The caller checks that the table's sizes suit each step.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import metrics as M
from .._validate import InvalidParameterError, check_float, check_int
from ..learn import path_fit
from ..synth import fit_synthesizer, nested_mask
from ..data import masked_order, order_rank
from ._diagnostics import bound_learner, fold_rows, generator_quality, symmetry_test, valid_rows
from ._predict import theory_target_size

#: Candidate grids of SPEC §5.
SYMMETRIC_GRID = np.round(np.arange(0, 0.2001, 0.05), 2)       # γ ∈ {0, .05, …, .20}
REALISTIC_GRID = np.round(np.arange(0.8, 1.2001, 0.05), 2)     # multipliers around balancing / ñ_theory
#: γ ∈ 0:0.05:2, the biased regime's candidates and the studies' sweep
FULL_GRID = np.round(np.arange(0, 2.0001, 0.05), 2)
#: TG-VTSS regimes (``TGVTSSResult.regime``): local symmetry, realistic generator, biased generator
SYMMETRIC, REALISTIC, BIASED = 0, 1, 2


class TunedFit(NamedTuple):
    gamma: jax.Array        #: chosen γ
    n_syn: jax.Array        #: chosen ñ on the full data
    params: object          #: the final fit (LinearParams)
    info: object            #: its FitInfo
    losses: jax.Array       #: (C,) validation loss per candidate (inf where not a candidate)


def augmented_fits(key, synth, learner, X0, X1, gammas, gamma_max: float = 2.0, hyper=None, synth_hyper=None,
                   mask0=None, mask1=None):
    """((params, info) with leading axis len(gammas), sizes ñ): every γ in ``gammas`` fitted on (X0, X1) plus the
    first ñ = round(γ (n0 − n1)) points of one synthetic pool of round(γ_max (n0 − n1)) draws (nested masks:
    a γ sweep on common random numbers). The learner must be drawn already (``learn.bind``). Padded data: the
    pool holds ⌈γ_max · rows of X0⌉ draws and the masked rows weigh 0."""
    n0, n1 = valid_rows(X0, mask0), valid_rows(X1, mask1)
    m = int(np.ceil(gamma_max * (X0.shape[0] if mask0 is not None else n0 - n1)))
    kf, ks = jax.random.split(key)
    pool = synth.sample(ks, fit_synthesizer(synth, kf, X1, X0, synth_hyper, mask1, mask0), m)
    X = jnp.concatenate([X0, X1, pool.X])
    y_pool = jnp.ones(m, X.dtype) if pool.y is None else pool.y.astype(X.dtype)
    y = jnp.concatenate([jnp.zeros(X0.shape[0], X.dtype), jnp.ones(X1.shape[0], X.dtype), y_pool])
    sizes = jnp.round(jnp.clip(gammas, 0, gamma_max) * (n0 - n1)).astype(jnp.int32)
    real = (jnp.ones(X0.shape[0] + X1.shape[0], X.dtype) if mask0 is None
            else jnp.concatenate([mask0, mask1]).astype(X.dtype))
    W = jnp.concatenate([jnp.broadcast_to(real, (gammas.shape[0], real.shape[0])), nested_mask(sizes, m, X.dtype)],
                        axis=1)
    return path_fit(learner)(X, y, W, hyper), sizes


def holdout_split(k0, k1, n0: int, n1: int, holdout: float):
    """(h0, t0, h1, t1): a stratified hold-out split, round(holdout · n_c) ≥ 1 held-out rows of each class."""
    p0, p1 = jax.random.permutation(k0, n0), jax.random.permutation(k1, n1)
    v0, v1 = max(1, round(holdout * n0)), max(1, round(holdout * n1))
    return p0[:v0], p0[v0:], p1[:v1], p1[v1:]


def holdout_masks(key, mask, holdout: float):
    """(held-out, training) 0/1 masks of a random hold-out of max(1, round(holdout · n)) valid rows of ``mask``:
    ``holdout_split`` for padded data."""
    order, n = masked_order(key, mask)
    rank = order_rank(order)
    held = rank < jnp.maximum(1, jnp.round(holdout * n.astype(mask.dtype)).astype(jnp.int32))
    valid = jnp.asarray(mask) > 0
    return held.astype(mask.dtype), (valid & ~held).astype(mask.dtype)


def _validation_keys(key):
    """The keys of ``select_size(key, …)``'s validation: (class-0 split, class-1 split, generators)."""
    return jax.random.split(jax.random.split(key)[0], 3)


def validation_risk(learner, params, held):
    """Balanced risk of ``params`` on held-out rows ((X0, v0), (X1, v1)) (masks None: every row)."""
    (V0, v0), (V1, v1) = held
    Xv = jnp.concatenate([V0, V1])
    yv = jnp.concatenate([jnp.zeros(V0.shape[0], V0.dtype), jnp.ones(V1.shape[0], V0.dtype)])
    mask = None if v0 is None else jnp.concatenate([v0, v1])
    return M.balanced_risk(learner.loss, learner.score(params, Xv), yv, mask)


def _validation_losses(key, synth, learner, X0, X1, gammas, gamma_max, folds, holdout, hyper, synth_hyper,
                       repeats: int = 1, mask0=None, mask1=None):
    """(C,) balanced validation loss of each candidate: K-fold CV (``folds``), averaged over ``repeats``
    independent fold assignments (repeated K-fold; repeat 0 is the single K-fold split of ``key``), or one
    stratified hold-out split (``holdout`` fraction, used when folds is None)."""
    if folds is None:
        check_float(holdout, "holdout", "select_size", 0.0, 1.0, lo_open=True, hi_open=True)
    else:
        check_int(folds, "folds", "select_size", 2, X1.shape[0])   # every validation fold holds ≥ 1 minority point
        check_int(repeats, "repeats", "select_size", 1)
        if repeats > 1:
            keys = jnp.stack([key] + [jax.random.fold_in(key, r) for r in range(1, repeats)])
            return jnp.mean(jax.vmap(lambda k: _validation_losses(k, synth, learner, X0, X1, gammas, gamma_max, folds,
                                                                  holdout, hyper, synth_hyper, 1, mask0, mask1))(keys),
                            axis=0)
    k0, k1, kg = jax.random.split(key, 3)

    def one(k, train, held):
        (T0, m0), (T1, m1) = train
        (params, _), _ = augmented_fits(jax.random.fold_in(kg, k), synth, learner, T0, T1, gammas, gamma_max, hyper,
                                        synth_hyper, m0, m1)
        return jax.vmap(lambda p: validation_risk(learner, p, held))(params)

    if folds is None and mask0 is None:
        h0, t0, h1, t1 = holdout_split(k0, k1, X0.shape[0], X1.shape[0], holdout)
        return one(0, ((X0[t0], None), (X1[t1], None)), ((X0[h0], None), (X1[h1], None)))
    if folds is None:
        (v0, m0), (v1, m1) = holdout_masks(k0, mask0, holdout), holdout_masks(k1, mask1, holdout)
        return one(0, ((X0, m0), (X1, m1)), ((X0, v0), (X1, v1)))
    return jnp.mean(jax.vmap(lambda k: one(k, *fold_rows(k0, k1, X0, X1, folds, k, mask0, mask1)))(jnp.arange(folds)),
                    axis=0)


def select_size(key, synth, learner, X0, X1, gammas, valid=None, gamma_max: float = 2.0, folds: int | None = 5,
                holdout: float = 0.2, hyper=None, synth_hyper=None, repeats: int = 1, mask0=None,
                mask1=None) -> TunedFit:
    """Choose γ among ``gammas`` (where ``valid``) by balanced validation loss, then regenerate and refit
    on the full data with the chosen size. ``folds=None`` uses one stratified hold-out split; ``repeats`` > 1
    averages repeated K-fold CV (SPEC §9.5: 5 × 5)."""
    gammas = jnp.asarray(gammas, X0.dtype)
    valid = jnp.ones(gammas.shape, bool) if valid is None else valid
    learner = bound_learner(learner, key, X0, X1, mask0 is not None)
    kv, kf = jax.random.split(key)
    losses = _validation_losses(kv, synth, learner, X0, X1, gammas, gamma_max, folds, holdout, hyper, synth_hyper,
                                repeats, mask0, mask1)
    losses = jnp.where(valid & jnp.isfinite(losses), losses, jnp.inf)
    best = jnp.argmin(losses)
    (params, info), sizes = augmented_fits(kf, synth, learner, X0, X1, gammas[best][None], gamma_max, hyper,
                                           synth_hyper, mask0, mask1)
    first = jax.tree_util.tree_map(lambda a: a[0], (params, info))
    return TunedFit(gammas[best], sizes[0], first[0], first[1], losses)


def vtss(key, synth, learner, X0, X1, folds: int | None = 5, **kw) -> TunedFit:
    """VTSS: γ minimising the balanced validation loss over γ ∈ {0.50, 0.55, …, 1.50} (SPEC §5)."""
    return select_size(key, synth, learner, X0, X1, np.round(np.arange(0.5, 1.5001, 0.05), 2), folds=folds, **kw)


def regime_candidates(regime, gamma_theory, dtype):
    """(candidates, valid), both (len(FULL_GRID),): TG-VTSS's candidate sizes for its regime in one fixed array
    (the regime is data, so the procedure vmaps): symmetric γ ∈ {0, .05, …, .20}; realistic 0.80:0.05:1.20 around
    balancing, then the same multipliers of γ_theory (valid only when γ_theory is finite and ≥ 0); biased
    0:0.05:2. Unused slots hold γ = 1, marked invalid: no fold fits more sizes than the largest set (41)."""
    slots, n_realistic = len(FULL_GRID), len(REALISTIC_GRID)
    around = jnp.asarray(REALISTIC_GRID, dtype)
    theory_ok = jnp.isfinite(gamma_theory) & (gamma_theory >= 0)

    def padded(*parts):
        return jnp.concatenate([*parts, jnp.ones(slots - sum(len(q) for q in parts), dtype)])

    candidates = jnp.where(regime == SYMMETRIC, padded(jnp.asarray(SYMMETRIC_GRID, dtype)),
                           jnp.where(regime == REALISTIC, padded(around, around * jnp.where(theory_ok, gamma_theory, 0)),
                                     jnp.asarray(FULL_GRID, dtype)))
    slot = jnp.arange(slots)
    valid = jnp.where(regime == SYMMETRIC, slot < len(SYMMETRIC_GRID),
                      jnp.where(regime == REALISTIC, (slot < n_realistic) | ((slot < 2 * n_realistic) & theory_ok), True))
    return candidates, valid


class TGVTSSResult(NamedTuple):
    fit: TunedFit               #: the final fit at the chosen size (``TunedFit``)
    regime: jax.Array         #: SYMMETRIC, REALISTIC or BIASED
    statistic: jax.Array      #: Wald T
    p_value: jax.Array          #: P(χ²_p > T)
    gqs: jax.Array            #: generator quality score (NaN when symmetry was not rejected… still computed)
    gamma_theory: jax.Array   #: ñ_theory/(n0 − n1) from ĝ_φ and the cross-fitted δ (NaN if undefined)
    candidates: jax.Array     #: (41,) the regime's candidate γ values (``regime_candidates``)
    valid: jax.Array          #: (41,) which of them are candidates (the rest is padding)
    cosine: jax.Array         #: cos∠(ĝ_φ, δ̂) — aligned (> 0) → more than balancing, anti-aligned → less


def tg_vtss(key, synth, learner, X0, X1, gqs_folds: int = 3, folds: int | None = 5, gqs_threshold: float = 10.0,
            gamma_max: float = 2.0, hyper=None, synth_hyper=None, diagnostic_learner=None,
            diagnose_on_fit_split: bool = False, mask0=None, mask1=None, **kw) -> TGVTSSResult:
    """Theory-guided VTSS (SPEC §5): (1) balanced pilot fit; (2) if local symmetry is not rejected,
    candidates γ ∈ {0, .05, …, .20}; (3) else if GQS ≤ 10 ("realistic generator"), γ ∈ 0.80:0.05:1.20
    around balancing ∪ the same multipliers around γ_theory (when finite and ≥ 0); (4) else ("biased
    generator") γ ∈ 0:0.05:2; (5) choose by balanced validation loss, regenerate and refit.
    All candidate sets live in one fixed array with a validity mask, so the regime is data, not control
    flow: the whole procedure vmaps over replicates. The decision and diagnostics are returned.
    ``diagnostic_learner``: the model of steps (1)–(3) when it differs from the one fitted in (5) (SPEC §9.3:
    an MLP chosen by validation, diagnostics on random-feature logistic regression); ``hyper`` is the fitted
    learner's and the diagnostic learner uses its own defaults. ``diagnose_on_fit_split`` (with ``folds=None``):
    steps (1)–(3) see only the rows the hold-out validation fits on, not the held-out ones (the official
    end-to-end protocol, SPEC §9.1).
    """
    if folds is not None:            # checked before any work (select_size checks it again at the end)
        check_int(folds, "folds", "tg_vtss", 2, X1.shape[0])
    padded = mask0 is not None
    ks, kq, kt = jax.random.split(key, 3)
    learner = bound_learner(learner, key, X0, X1, padded)
    diagnostic = learner if diagnostic_learner is None else bound_learner(diagnostic_learner, ks, X0, X1, padded)
    diagnostic_hyper = hyper if diagnostic_learner is None else None
    D0, D1, d0, d1 = X0, X1, mask0, mask1
    if diagnose_on_fit_split:
        if folds is not None:
            raise InvalidParameterError("The 'diagnose_on_fit_split' parameter of tg_vtss needs folds=None (a hold-out "
                                        f"split). Got folds={folds!r} instead.")
        k0, k1, _ = _validation_keys(kt)          # the very split select_size(kt, …) validates on
        if padded:
            d0, d1 = holdout_masks(k0, mask0, kw.get("holdout", 0.2))[1], holdout_masks(k1, mask1, kw.get("holdout", 0.2))[1]
        else:
            _, t0, _, t1 = holdout_split(k0, k1, X0.shape[0], X1.shape[0], kw.get("holdout", 0.2))
            D0, D1 = X0[t0], X1[t1]
    test = symmetry_test(diagnostic, D0, D1, hyper=diagnostic_hyper, mask0=d0, mask1=d1)
    quality = generator_quality(kq, synth, diagnostic, D0, D1, K=gqs_folds, hyper=diagnostic_hyper,
                                synth_hyper=synth_hyper, mask0=d0, mask1=d1)
    n0, n1 = valid_rows(D0, d0), valid_rows(D1, d1)
    gamma_theory = theory_target_size(test.g_phi, quality.delta, n0, n1) / (n0 - n1)
    regime = jnp.where(~test.reject, SYMMETRIC, jnp.where(quality.gqs <= gqs_threshold, REALISTIC, BIASED))
    candidates, valid = regime_candidates(regime, gamma_theory, X0.dtype)
    fit = select_size(kt, synth, learner, X0, X1, candidates, valid, gamma_max, folds, hyper=hyper,
                      synth_hyper=synth_hyper, mask0=mask0, mask1=mask1, **kw)
    cosine = test.g_phi @ quality.delta / (jnp.linalg.norm(test.g_phi) * jnp.linalg.norm(quality.delta))
    return TGVTSSResult(fit, regime, test.statistic, test.p_value, quality.gqs, gamma_theory, candidates, valid, cosine)


def balancing(key, synth, learner, X0, X1, gamma_max: float = 2.0, hyper=None, synth_hyper=None, mask0=None,
              mask1=None) -> TunedFit:
    """The fixed-rule baseline: γ = 1 (ñ = n0 − n1)."""
    learner = bound_learner(learner, key, X0, X1, mask0 is not None)
    (params, info), sizes = augmented_fits(key, synth, learner, X0, X1, jnp.ones(1, X0.dtype), gamma_max,
                                           hyper, synth_hyper, mask0, mask1)
    first = jax.tree_util.tree_map(lambda a: a[0], (params, info))
    return TunedFit(jnp.ones((), X0.dtype), sizes[0], first[0], first[1], jnp.zeros(1, X0.dtype))


#: Minority/majority cost ratios tried by ``cost_sensitive`` (SPEC §9.3: 1–10).
COST_GRID = np.arange(1.0, 10.0001, 1.0)


def _class_weights(costs, n0, n1, dtype, mask0, mask1):
    """(C, rows of X0 + X1) weights ∝ 1 on the majority and cost c on the minority, scaled to mean 1 (as
    scikit-learn's ``class_weight='balanced'``), so a learner with scikit-learn's C penalty keeps λ = 1/(C (n0 + n1))
    at every cost and cost n0/n1 is exactly balanced reweighting; masked rows weigh 0."""
    costs = jnp.asarray(costs, dtype)
    scale = (n0 + n1) / (n0 + n1 * costs)
    return jnp.concatenate([scale[:, None] * mask0[None, :], (scale * costs)[:, None] * mask1[None, :]], axis=1)


def _weighted_fits(learner, train, costs, hyper):
    """Fits with class weights ``costs`` on the training rows ((X0, m0), (X1, m1)) (masks None: every row)."""
    (X0, m0), (X1, m1) = train
    X = jnp.concatenate([X0, X1])
    y = jnp.concatenate([jnp.zeros(X0.shape[0], X.dtype), jnp.ones(X1.shape[0], X.dtype)])
    m0 = jnp.ones(X0.shape[0], X.dtype) if m0 is None else m0.astype(X.dtype)
    m1 = jnp.ones(X1.shape[0], X.dtype) if m1 is None else m1.astype(X.dtype)
    weights = _class_weights(costs, jnp.sum(m0), jnp.sum(m1), X.dtype, m0, m1)
    return path_fit(learner)(X, y, weights, hyper)


def reweighting(key, learner, X0, X1, cost=None, hyper=None, mask0=None, mask1=None) -> TunedFit:
    """Balanced reweighting: weights ∝ ½/n0 on each majority and ½/n1 on each minority point (scaled to mean 1:
    scikit-learn's ``class_weight='balanced'``), i.e. cost n0/n1 on the minority (``cost`` overrides it). ``gamma`` reports the equivalent synthetic size
    (c − 1) n1/(n0 − n1): exact copies with those weights would give the same objective."""
    n0, n1 = valid_rows(X0, mask0), valid_rows(X1, mask1)
    cost = n0 / n1 if cost is None else cost
    if mask0 is None:
        check_float(cost, "cost", "reweighting", 0.0, lo_open=True)
    learner = bound_learner(learner, key, X0, X1, mask0 is not None)
    params, info = jax.tree_util.tree_map(lambda a: a[0], _weighted_fits(learner, ((X0, mask0), (X1, mask1)),
                                                                         jnp.reshape(cost, (1,)), hyper))
    gamma = (jnp.asarray(cost, X0.dtype) - 1) * n1 / (n0 - n1)
    return TunedFit(gamma, jnp.round(gamma * (n0 - n1)).astype(jnp.int32), params, info, jnp.zeros(1, X0.dtype))


def cost_sensitive(key, learner, X0, X1, costs=COST_GRID, folds: int = 5, hyper=None, mask0=None,
                   mask1=None) -> TunedFit:
    """Cost-sensitive weights tuned by K-fold CV (SPEC §9.3): minority cost c among ``costs`` (> 0) minimising
    the balanced validation loss, every cost fitted in one batched solve per fold; then refit on all rows.
    ``losses`` holds the validation loss per cost, ``gamma`` the equivalent synthetic size (c − 1) n1/(n0 − n1)."""
    costs = np.asarray(costs, float)
    if costs.ndim != 1 or costs.size == 0 or not np.all(costs > 0):
        raise InvalidParameterError(f"The 'costs' parameter of cost_sensitive must be a non-empty 1-D grid of cost "
                                    f"ratios > 0. Got {costs.tolist()!r} instead.")
    check_int(folds, "folds", "cost_sensitive", 2, X1.shape[0])
    learner = bound_learner(learner, key, X0, X1, mask0 is not None)
    k0, k1 = jax.random.split(key)

    def fold(k):
        train, held = fold_rows(k0, k1, X0, X1, folds, k, mask0, mask1)
        params, _ = _weighted_fits(learner, train, costs, hyper)
        return jax.vmap(lambda p: validation_risk(learner, p, held))(params)

    losses = jnp.mean(jax.vmap(fold)(jnp.arange(folds)), axis=0)
    losses = jnp.where(jnp.isfinite(losses), losses, jnp.inf)
    best = jnp.asarray(costs, X0.dtype)[jnp.argmin(losses)]
    chosen = reweighting(key, learner, X0, X1, cost=best, hyper=hyper, mask0=mask0, mask1=mask1)
    return chosen._replace(losses=losses)
