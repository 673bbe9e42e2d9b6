"""CoDSA (Tian & Shen, arXiv 2504.07426) Table 2: regression with an under-sampled region.

Design (SPEC §7, official code): minority region u1 ~ U(0, ½), majority u1 ~ U(½, 1); 5 features and
y = 2s² ± s + u3 (sign by region); train 800 minority + 3,200 majority, validation 400 + 400, test
800 + 800. The generators model the joint (x, y) conditional on the region; SMOTE and ADASYN
interpolate (x, y) within a region (the other region as the majority set). Downstream model: an MLP
(64, 64) regressor — the paper used a random forest; the MLP keeps the whole replicate in JAX. The
table gives the test mean squared error per region and overall (mean (SD) over replicates; the
official code reports MSE although the paper says RMSE). Methods, grids, quick and --full settings as
in sims/codsa_classification.py.

    synthjax run sims/codsa_regression.py [--full]
"""
import importlib.util
from pathlib import Path

import jax

from synthjax import codsa, dgp

_spec = importlib.util.spec_from_file_location("codsa_classification_sim", Path(__file__).with_name("codsa_classification.py"))
_classification = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_classification)

PRINT_COLUMNS = _classification.PRINT_COLUMNS
#: Published values of the paper's Table 2 ((majority, minority, overall) per method); not available to
#: this offline build — fill them in from arXiv 2504.07426 to print them.
PAPER = {}


def source(key, rows: int):
    """``rows`` independent points of the same structure (regions 4 : 1, as in training)."""
    k0, k1 = jax.random.split(key)
    return dgp.codsa_regression_region(k0, rows - rows // 5, False), dgp.codsa_regression_region(k1, rows // 5, True)


def run(reps=None, seed=0, full=False, out=None):
    return _classification.run(reps, seed, full, out, draw=dgp.codsa_regression, source=source, task="regression",
                               paper=PAPER)


def figures(results, out_dir):
    return codsa.report(results, out_dir, "CoDSA Table 2: test MSE by region", "mean squared error")

