"""Reference long tables of the runner before the kernel split, compared by test_runner (the stored table was
written by the one-piece kernel of commit c14ac24; its linear part then also held a jitter generator and a
second cell, dropped since: streams do not depend on the other generators or cells)."""
import pandas as pd
from synthjax import dgp, learn, synth
from synthjax.runner import Study, run

def studies():
    truth = dgp.mean_shift(3)
    gens = {"smote": synth.smote(3), "mixup": synth.mixup(1.0)}
    yield "linear", Study("ref_linear", truth, gens, learn.logistic(ridge=1e-3), (0.0, 0.5, 1.0),
                          ((200, 20),), reps=5, seed=3, n_test=50)
    yield "rff", Study("ref_rff", truth, {"smote": synth.smote(3), "jitter": synth.jitter(0.3)},
                       learn.random_fourier_logistic(8, C=1.0), (0.0, 1.0), ((150, 20),), reps=4, seed=5, n_eval=300)

if __name__ == "__main__":
    frames = [run(s).table.assign(study=name) for name, s in studies()]
    pd.concat(frames, ignore_index=True).to_parquet("tests/data/kernel_reference.parquet")
