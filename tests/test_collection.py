"""The benchmark collection and shape buckets (SPEC §12, STYLE "ragged data"): padded data through the engine gives
the numbers of the unpadded table; no padded row is ever a neighbour, a danger-set member, a base point, a training
or a test row; the collection lists what it skips; the cross-table statistics match scikit-posthocs' own example."""
import importlib.util
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from synthjax import data, learn, synth, theory
from synthjax import metrics as M
from synthjax._validate import InvalidParameterError

ROOT = Path(__file__).resolve().parents[1]


def _pad(X, rows, features):
    P = np.zeros((rows, features))
    P[:X.shape[0], :X.shape[1]] = X
    return jnp.asarray(P), jnp.asarray((np.arange(rows) < X.shape[0]).astype(float))


def _two_classes(seed=0, n0=60, n1=15, d=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n0, d)), rng.normal(size=(n1, d)) + 0.7


GENERATORS = {"smote": synth.smote(10), "borderline": synth.borderline_smote(k=10), "adasyn": synth.adasyn(10),
              "jitter": synth.jitter(1.0, per_feature=True), "local jitter": synth.jitter(0.08, local_k=3),
              "ros": synth.random_oversampling(), "one_of": synth.one_of([synth.smote(10), synth.adasyn(10)], 1)}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_padded_generators_draw_what_the_unpadded_table_draws(name, x64):
    """The first draws of a pool are the same for the table alone (masks of ones) and padded with rows and zero
    columns, the padded columns stay 0, and no base point or neighbour is a padded row."""
    gen = GENERATORS[name]
    X0, X1 = _two_classes()
    key = jax.random.key(3)
    a1, m1 = _pad(X1, 15, 3)
    a0, m0 = _pad(X0, 60, 3)
    alone = gen.sample(key, synth.fit_synthesizer(gen, key, a1, a0, None, m1, m0), 50)
    b1, n1 = _pad(X1, 24, 6)
    b0, n0 = _pad(X0, 90, 6)
    padded = gen.sample(key, synth.fit_synthesizer(gen, key, b1, b0, None, n1, n0), 80)
    np.testing.assert_allclose(padded.X[:50, :3], alone.X, rtol=0, atol=1e-12)
    assert np.all(np.asarray(padded.X[:, 3:]) == 0)
    prov = padded.provenance
    if prov.base is not None:
        assert np.all(np.asarray(prov.base) < 15)
    if prov.neighbour is not None:
        neighbour = np.asarray(prov.neighbour)
        assert np.all((neighbour < 15) | ((neighbour >= 24) & (neighbour < 24 + 60)))   # [X_min; X_maj] indices


def test_danger_set_and_adasyn_weights_skip_padded_rows(x64):
    X0, X1 = _two_classes(1, 40, 12)
    b1, n1 = _pad(X1, 20, 5)
    b0, n0 = _pad(X0, 70, 5)
    np.testing.assert_array_equal(synth.danger_set(b1, b0, 10, n1, n0)[:12], synth.danger_set(jnp.asarray(X1),
                                                                                              jnp.asarray(X0), 10))
    assert not np.any(synth.danger_set(b1, b0, 10, n1, n0)[12:])
    np.testing.assert_allclose(synth.adasyn_weights(b1, b0, 5, n1, n0)[:12],
                               synth.adasyn_weights(jnp.asarray(X1), jnp.asarray(X0), 5), atol=1e-12)
    with pytest.raises(InvalidParameterError, match="cannot fit padded data"):
        synth.fit_synthesizer(synth.gaussian_fit(), jax.random.key(0), b1, b0, None, n1, n0)


def test_masked_split_folds_and_metrics_ignore_padding(x64):
    key = jax.random.key(7)
    m0, m1 = jnp.asarray(np.r_[np.ones(53), np.zeros(20)]), jnp.asarray(np.r_[np.ones(12), np.zeros(5)])
    train0, train1, test0, test1 = data.masked_split(key, m0, m1, 0.2, balanced_test=True)
    alone = data.masked_split(key, m0[:53], m1[:12], 0.2, balanced_test=True)
    for padded, unpadded in zip((train0, train1, test0, test1), alone):
        np.testing.assert_array_equal(padded[:unpadded.shape[0]], unpadded)
    assert float(train0[53:].sum() + test0[53:].sum() + train1[12:].sum() + test1[12:].sum()) == 0
    assert float((train0 * test0).sum()) == 0 and float((train1 * test1).sum()) == 0
    n_train0, n_train1, n_test0, n_test1 = data.split_sizes(np.r_[np.zeros(53), np.ones(12)], 0.2, balanced_test=True)
    assert [float(a.sum()) for a in (train0, train1, test0, test1)] == [n_train0, n_train1, n_test0, n_test1]
    held, train = theory.fold_masks(key, m1, 5, 2)
    assert float(held.sum()) == 2 and float((held * train).sum()) == 0 and float((held + train)[12:].sum()) == 0
    rng = np.random.default_rng(0)
    s, y = rng.normal(size=30), (rng.random(30) < 0.4).astype(float)
    mask = jnp.asarray((np.arange(30) < 22).astype(float))
    for metric in (M.auroc, M.auprc, M.balanced_log_loss):
        assert float(metric(jnp.asarray(s), jnp.asarray(y), mask=mask)) == pytest.approx(float(metric(s[:22], y[:22])))
    at = M.threshold_metrics(jnp.asarray(s), jnp.asarray(y), 0.0, mask)
    assert float(at["mcc"]) == pytest.approx(float(M.threshold_metrics(s[:22], y[:22])["mcc"]))


def test_masked_tuners_on_a_padded_table_equal_the_table_alone(x64):
    """Reweighting, a γ sweep, TG-VTSS's diagnostics (symmetry test, GQS) and a size chosen by CV over folds of the
    valid rows, with SMOTE: the table alone (masks of ones) and padded with rows and zero features give the same
    numbers (float64: 1e-10). The whole protocol, TG-VTSS included, for every generator: the slow test below."""
    X0, X1 = _two_classes(2, 50, 14)
    L = learn.logistic(C=1.0)
    gen = synth.smote(10)

    @jax.jit
    def tuners(a0, m0, a1, m1):
        key = jax.random.key(1)
        rew = theory.reweighting(key, L, a0, a1, mask0=m0, mask1=m1).params.coef[:3]
        (fits, _), _ = theory.augmented_fits(key, gen, L, a0, a1, jnp.asarray([0.0, 1.0, 2.0]), mask0=m0, mask1=m1)
        test = theory.symmetry_test(L, a0, a1, mask0=m0, mask1=m1)
        quality = theory.generator_quality(key, gen, L, a0, a1, K=3, mask0=m0, mask1=m1)
        chosen = theory.select_size(key, gen, L, a0, a1, jnp.asarray([0.5, 1.0, 1.5]), folds=3, mask0=m0, mask1=m1)
        return (rew, fits.coef[:, :3], test.statistic, test.df, quality.gqs, quality.delta[:3], chosen.losses,
                chosen.params.coef[:3])

    def run(rows0, rows1, features):
        return tuners(*_pad(X0, rows0, features), *_pad(X1, rows1, features))

    for alone, padded in zip(run(50, 14, 3), run(70, 20, 6)):
        np.testing.assert_allclose(padded, alone, rtol=1e-10, atol=1e-10)


def _collection_module():
    spec = importlib.util.spec_from_file_location("collection_study", ROOT / "sims" / "collection.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_protocol_replicate_of_a_table_alone_equals_its_bucket(x64):
    """The study's whole replicate (split, preprocessing, every generator and rule, the sweep): a table in a bucket of
    its own shape and inside a larger bucket give the same numbers (float64: 1e-10)."""
    study = _collection_module()
    table = data.collection_table("glass1")
    n0, n1 = table.counts
    out = []
    for bucket in (data.Bucket(n0, n1, table.X.shape[1]), data.Bucket(n0 + 40, n1 + 13, 16)):
        arrays = tuple(jnp.asarray(a) for a in data.pad_table(table, bucket))
        out.append(jax.jit(study.bucket_replicate(bucket, 1))(jax.random.key(5), *arrays))
    for alone, padded in zip(jax.tree_util.tree_leaves(out[0]), jax.tree_util.tree_leaves(out[1])):
        np.testing.assert_allclose(padded, alone, rtol=1e-10, atol=1e-10, equal_nan=True)


def test_collection_lists_what_it_skips_and_rejects_bad_filters():
    found = data.collection(["glass1", "hypothyroid", "zoo_3"])
    assert list(found.tables.name) == ["glass1", "zoo_3"]
    assert found.skipped.set_index("name").loc["hypothyroid", "reason"].startswith("the loader raises")
    row = found.tables.set_index("name").loc["glass1"]
    assert (row.n, row.d, row.n1, row.citation_key) == (214, 9, 76, "keel")
    assert row.imbalance_ratio == pytest.approx(138 / 76)
    table = data.collection_table("glass1")
    X0, m0, X1, m1 = data.pad_table(table, data.parse_bucket(row.bucket))
    assert m0.sum() == 138 and m1.sum() == 76 and X0.shape[1] == 9
    with pytest.raises(InvalidParameterError, match="unknown tables"):
        data.collection(["glass-one"])
    with pytest.raises(InvalidParameterError, match="'minority' filter.*selects no table.*n1 ranges over"):
        data.collection(["glass1", "zoo_3"], minority=(500, None))
    with pytest.raises(InvalidParameterError, match="cannot be used"):
        data.collection_table("hypothyroid")


def test_friedman_and_nemenyi_match_the_library_example():
    """scikit-posthocs' own example (its tests' ``df_bn``: 3 blocks × 7 groups; p-values from R's PMCMRplus) through
    the study's ``friedman_nemenyi``; the Friedman statistic against its textbook formula with the correction for
    ties within a block."""
    study = _collection_module()
    blocks = pd.DataFrame([[4, 3, 4, 4, 5, 6, 3], [1, 2, 3, 5, 6, 7, 7], [1, 2, 6, 4, 1, 5, 1]], columns=list("abcdefg"))
    statistic, p_value, ranks, nemenyi = study.friedman_nemenyi(blocks.astype(float))
    expected = {("b", "a"): 0.9999999, ("c", "a"): 0.8414506, ("c", "b"): 0.8833015, ("d", "a"): 0.9177741,
                ("d", "b"): 0.9449086, ("d", "c"): 0.9999962}
    for (i, j), p in expected.items():
        assert nemenyi.loc[i, j] == pytest.approx(p, abs=1e-6)
    R = blocks.rank(axis=1)
    n, k = R.shape
    ties = sum(float((c ** 3 - c).sum()) for c in (np.unique(r, return_counts=True)[1] for r in R.to_numpy()))
    plain = 12 / (n * k * (k + 1)) * (R.sum() ** 2).sum() - 3 * n * (k + 1)
    assert statistic == pytest.approx(plain / (1 - ties / (n * (k ** 3 - k))))
    assert ranks.to_dict() == pytest.approx(R.mean().to_dict())
    assert 0 < p_value < 1


def _tiny_study(tmp_path, monkeypatch, names, skipped_table):
    study = _collection_module()
    monkeypatch.setattr(study, "GENERATORS", ("SMOTE",))
    results = study.run(reps=2, seed=1, names=names, out=tmp_path / "run")
    design = results.manifest["study"]
    assert design["skipped_steps"][skipped_table] == {"TG-VTSS": "5 training minority rows < 6"}
    rows = results.table
    tiny = rows[rows.table == skipped_table].set_index("method")
    assert tiny.loc["SMOTE + TG-VTSS"].balanced_log_loss.isna().all()
    assert tiny.loc["SMOTE + VTSS"].balanced_log_loss.notna().all()
    assert rows[rows.table == "glass1"].balanced_log_loss.notna().all()
    verdict = results.summary[results.summary.part == "verdict"]
    assert set(verdict.rule) == set(study.rules()[1:])
    results.save(tmp_path)
    written = study.figures(results, tmp_path)
    assert written and all(p.exists() and p.with_suffix(".pdf").exists() for p in written)
    assert "Kovács" in (tmp_path / "findings.md").read_text()
    again = study.run(reps=2, seed=1, names=names, out=tmp_path / "run")     # every block read back
    pd.testing.assert_frame_equal(results.table, again.table)
    return design


def test_collection_study_runs_tiny_on_one_bucket(tmp_path, monkeypatch):
    """The study end to end at a tiny size on two small tables of one bucket (one compiled program), one of them too
    small for TG-VTSS (its step is skipped with the reason, the others run); a rerun resumes without computing."""
    design = _tiny_study(tmp_path, monkeypatch, ["glass1", "shuttle_c2_vs_c4"], "shuttle_c2_vs_c4")
    assert len(set(design["buckets"].values())) == 1


@pytest.mark.slow
def test_collection_study_runs_tiny_on_three_buckets(tmp_path, monkeypatch):
    """As above on three small tables of three buckets (rows, 9 / 44 / 32 features)."""
    design = _tiny_study(tmp_path, monkeypatch, ["glass1", "spectf", "lymphography_normal_fibrosis"],
                         "lymphography_normal_fibrosis")
    assert len(set(design["buckets"].values())) == 3


@pytest.mark.slow      # starts a Ray cluster (~1 min on 2 cores)
def test_collection_on_ray_equals_a_local_run(ray_cluster, tmp_path, monkeypatch):
    """One Ray task per bucket (the study's code travels by path, its generators by the design): the driver reads
    every block back, and the table equals a local run's bit for bit."""
    from synthjax.runner import RayExecutor
    study = _collection_module()
    monkeypatch.setattr(study, "GENERATORS", ("SMOTE",))
    names = ["glass1", "shuttle_c2_vs_c4", "spectf"]
    on_ray = study.run(reps=2, seed=3, names=names, out=tmp_path / "ray", executor=RayExecutor(address=ray_cluster))
    local = study.run(reps=2, seed=3, names=names)
    assert on_ray.manifest["compile_s"] == 0          # the driver computed nothing: the tasks kept every block
    pd.testing.assert_frame_equal(on_ray.table, local.table, check_exact=True)
    with pytest.raises(InvalidParameterError, match="'executor'"):
        study.run(reps=2, seed=3, names=names, executor=RayExecutor(address=ray_cluster))
