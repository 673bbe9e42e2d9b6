"""Figures in one style: colour-blind-safe palette, 95% Monte-Carlo bands, symbols on the axes,
and a caption line with the design."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .metrics import mcse  # noqa: E402

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
LABELS = {"gamma": "synthetic size γ = ñ / (n0 − n1)", "n_syn": "synthetic size ñ",
          "excess_risk": "balanced excess risk R(θ̂) − R(θ*)", "auroc": "population AUROC",
          "risk": "balanced risk R(θ̂)", "n1": "minority size n1"}


def caption(manifest: dict) -> str:
    """One line with the design: DGP, d, sizes, R, generators, learner, seed, dtype."""
    s = manifest["study"]
    sizes = ", ".join(f"n0={a}, n1={b}" for a, b in s["sizes"])
    hyper = ", ".join(f"{k}={v:g}" for k, v in s["learner_hyper"].items())
    return (f"{s['dgp']}, d={s['d']}; {sizes}; R={s['reps']} reps; learner {s['learner']}({hyper}); "
            f"seed {s['seed']}; {manifest.get('dtype', '')}; bands: mean ± 1.96 MCSE")


def _series(ax, frame, x, y, by, se_col=None, predicted=None):
    """One line per ``by`` group with a 95% band (±1.96 × ``se_col``) and, per entry of ``predicted``
    ({label: column}), the same group's prediction dashed (dotted for a second prediction)."""
    for colour, (name, g) in zip(PALETTE * 4, frame.groupby(by, sort=False)):
        g = g.sort_values(x)
        mean = g[y].to_numpy(float)
        ax.plot(g[x], mean, color=colour, label=str(name), lw=1.8, marker="o", ms=3)
        if se_col is not None and se_col in g:
            se = g[se_col].to_numpy(float)
            ax.fill_between(g[x], mean - 1.96 * se, mean + 1.96 * se, color=colour, alpha=0.2, lw=0)
        for style, (label, col) in zip(("--", ":", "-."), (predicted or {}).items()):
            ax.plot(g[x], g[col].to_numpy(float), color=colour, ls=style, lw=1.4,
                    label=f"{name}: {label}")


def _finish(fig, axes, caption_text, path):
    """Grid and legend on ``axes``, the caption line, tight layout; save PNG + PDF when ``path`` (and
    release the figure from pyplot, so long runs do not accumulate open figures; the returned object
    still works)."""
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=7)
    if caption_text:
        fig.text(0.01, 0.005, caption_text, fontsize=7, ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.06 if caption_text else 0, 1, 1))
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path.with_suffix(".png"), dpi=150)
        fig.savefig(path.with_suffix(".pdf"))
        plt.close(fig)
    return fig


def size_curve(summary: pd.DataFrame, metric: str = "excess_risk", x: str = "gamma",
               by: str = "generator", title: str | None = None, caption_text: str | None = None,
               log_y: bool = False, path: str | Path | None = None, predicted: dict | None = None,
               optimum: str | None = None):
    """Plot ``metric`` against the synthetic size, one line per ``by`` value, with 95% MC bands.

    One panel per (n0, n1) cell. NaN cells (all replicates failed) leave gaps, never an error.
    ``predicted`` ({label: column}) draws each group's predictions dashed/dotted beside it; ``optimum``
    names a column holding the group's predicted best x, marked (▼) on the first prediction.
    Writes ``path`` as PNG and the same name as vector PDF when ``path`` is given. Returns the figure.
    """
    if metric not in summary or x not in summary:
        raise ValueError(f"The 'metric' and 'x' parameters must be columns of the summary. Got {metric!r}, {x!r}.")
    cells = summary[["n0", "n1"]].drop_duplicates().to_numpy()
    fig, axes = plt.subplots(1, len(cells), figsize=(5.2 * len(cells), 4.0), squeeze=False)
    for ax, (n0, n1) in zip(axes[0], cells):
        cell = summary[(summary.n0 == n0) & (summary.n1 == n1)]
        _series(ax, cell, x, metric, by, metric + "_mcse", predicted)
        if optimum is not None and predicted:
            first = next(iter(predicted.values()))
            for colour, (_, g) in zip(PALETTE * 4, cell.groupby(by, sort=False)):
                g = g.sort_values(x)
                best = float(g[optimum].iloc[0])
                ax.plot([best], [np.interp(best, g[x], g[first])], marker="v", ms=7, color=colour, ls="none")
        ax.set_xlabel(LABELS.get(x, x))
        ax.set_ylabel(LABELS.get(metric, metric))
        ax.set_title(title or f"n0 = {n0}, n1 = {n1}", fontsize=10)
        if log_y:
            ax.set_yscale("log")
            floor = cell[metric][cell[metric] > 0].min()
            if np.isfinite(floor):          # predictions may dip far below what was simulated: keep the data in view
                ax.set_ylim(bottom=0.3 * floor)
    return _finish(fig, axes[0], caption_text, path)


def curves(frame: pd.DataFrame, x: str, y: str, by: str, se: str | None = None, predicted: dict | None = None,
           log_x: bool = False, log_y: bool = False, title: str = "", xlabel: str | None = None,
           ylabel: str | None = None, caption_text: str | None = None, path: str | Path | None = None):
    """One panel: simulated ``y`` against ``x`` per ``by`` group with 95% bands from the ``se`` column,
    predicted curves dashed (``predicted`` = {label: column}); log axes for rates."""
    fig, ax = plt.subplots(figsize=(6.0, 4.4))
    _series(ax, frame, x, y, by, se, predicted)
    ax.set_xscale("log" if log_x else "linear")
    ax.set_yscale("log" if log_y else "linear")
    ax.set_xlabel(xlabel or LABELS.get(x, x))
    ax.set_ylabel(ylabel or LABELS.get(y, y))
    ax.set_title(title, fontsize=10)
    return _finish(fig, [ax], caption_text, path)


def curve_panels(frame: pd.DataFrame, panel: str, x: str, y: str, by: str, se: str | None = None,
                 reference: float | None = None, band: float | None = None, title: str = "", xlabel: str | None = None,
                 ylabel: str | None = None, caption_text: str | None = None, path: str | Path | None = None):
    """One panel per value of ``panel``: ``y`` against ``x`` per ``by`` group with 95% bands from ``se``; a
    horizontal ``reference`` line, shaded ± ``band`` around it (e.g. a ratio of 1 ± 20%)."""
    names = list(dict.fromkeys(frame[panel]))
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3.6), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], names):
        _series(ax, frame[frame[panel] == name], x, y, by, se)
        if reference is not None:
            ax.axhline(reference, color="0.3", lw=0.8)
            if band is not None:
                ax.axhspan(reference - band, reference + band, color="0.85", zorder=0)
        ax.set_title(str(name), fontsize=9)
        ax.set_xlabel(xlabel or LABELS.get(x, x))
    axes[0][0].set_ylabel(ylabel or LABELS.get(y, y))
    if title:
        fig.suptitle(title, fontsize=10)
    return _finish(fig, axes[0], caption_text, path)


def write_findings(out_dir, title: str, claim: str, observed: str, verdict: str, design: str = "") -> Path:
    """Write ``findings.md``: the paper's qualitative claim, what this run shows (numbers with MCSE),
    and whether they agree."""
    path = Path(out_dir) / "findings.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (f"# {title}\n\n**Claim.** {claim}\n\n**This run.** {observed}\n\n**Agreement.** {verdict}\n"
            + (f"\n**Design.** {design}\n" if design else ""))
    path.write_text(text)
    return path


def paired(table: pd.DataFrame, a: str, b: str, value: str, by: str = "method", index: str = "rep") -> tuple:
    """(mean, MCSE) of value(a) − value(b) over replicates: rows matched on ``index``, methods in column ``by``."""
    wide = table.pivot(index=index, columns=by, values=value)
    diff = (wide[a] - wide[b]).to_numpy(float)
    return float(np.nanmean(diff)), float(mcse(diff))


def pm(mean: float, se: float) -> str:
    """'mean ± SE' with 3 significant digits."""
    return f"{mean:.3g} ± {se:.2g}"


def histogram(frame: pd.DataFrame, column: str, by: str, bins, title: str = "", xlabel: str | None = None,
              caption_text: str | None = None, path: str | Path | None = None):
    """Overlaid step histograms of ``column`` per ``by`` group (e.g. the synthetic sizes a tuner chose)."""
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for colour, (name, g) in zip(PALETTE * 4, frame.groupby(by, sort=False)):
        values = g[column].to_numpy(float)
        ax.hist(values[np.isfinite(values)], bins=bins, histtype="step", lw=1.8, color=colour, label=str(name))
    ax.set_xlabel(xlabel or LABELS.get(column, column))
    ax.set_ylabel("replicates")
    ax.set_title(title, fontsize=10)
    return _finish(fig, [ax], caption_text, path)


def heatmap(frame: pd.DataFrame, x: str, y: str, value: str, overlay: pd.DataFrame | None = None,
            log_color: bool = True, title: str = "", xlabel: str | None = None, ylabel: str | None = None,
            caption_text: str | None = None, path: str | Path | None = None):
    """A (y × x) surface of ``value`` (mean over the cell), with an optional curve ``overlay`` (columns
    x, y; e.g. the theory's optimal size per row) drawn dashed — one line per value of its ``label`` column if it
    has one (dashed, dotted, dash-dotted). NaN cells are left blank."""
    grid = frame.pivot_table(index=y, columns=x, values=value, aggfunc="mean")
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    data = grid.to_numpy(float)
    norm = None
    if log_color:
        positive = data[np.isfinite(data) & (data > 0)]
        if positive.size:
            norm = matplotlib.colors.LogNorm(vmin=positive.min(), vmax=positive.max())
    xs, ys = grid.columns.to_numpy(float), np.arange(len(grid.index))
    mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(data), shading="nearest", cmap="viridis", norm=norm)
    fig.colorbar(mesh, ax=ax, label=LABELS.get(value, value))
    ax.set_yticks(ys, [f"{v:g}" for v in grid.index])
    if overlay is not None and len(overlay):
        row = {v: i for i, v in enumerate(grid.index)}
        ov = overlay[overlay[y].isin(grid.index)]
        labelled = ov.groupby("label", sort=False) if "label" in ov else [("theory optimum", ov)]
        for style, (label, part) in zip(("--", ":", "-."), labelled):
            ax.plot(part[x], [row[v] for v in part[y]], color="white", ls=style, lw=2, marker="o", label=label)
        ax.legend(frameon=False, fontsize=8, labelcolor="white")
    ax.set_xlabel(xlabel or LABELS.get(x, x))
    ax.set_ylabel(ylabel or LABELS.get(y, y))
    ax.set_title(title, fontsize=10)
    return _finish(fig, [], caption_text, path)   # no grid or extra legend on a heat map


def bars(frame: pd.DataFrame, group: str, columns: list, errors: list | None = None, ylabel: str = "",
         title: str = "", caption_text: str | None = None, path: str | Path | None = None):
    """Grouped bars: one group per row of ``frame`` (labelled by ``group``), one bar per column, with
    ± ``errors`` columns as error bars (e.g. the SD over replicates)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    x = np.arange(len(frame))
    width = 0.8 / len(columns)
    for i, (colour, col) in enumerate(zip(PALETTE, columns)):
        err = frame[errors[i]].to_numpy(float) if errors else None
        ax.bar(x + (i - (len(columns) - 1) / 2) * width, frame[col].to_numpy(float), width, yerr=err, capsize=3,
               color=colour, label=col)
    ax.set_xticks(x, frame[group].tolist(), fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    return _finish(fig, [ax], caption_text, path)


def forest(frame: pd.DataFrame, label: str, value: str, se: str, outcome: str, xlabel: str = "", title: str = "",
           caption_text: str | None = None, path: str | Path | None = None):
    """A forest plot: one row per line of ``frame`` (in its order, labelled by ``label``), the point ``value`` with its
    ±1.96 ``se`` interval, coloured by ``outcome`` (+1 win green, −1 loss red, 0 grey), and a line at 0."""
    fig, ax = plt.subplots(figsize=(6.5, max(3.0, 0.14 * len(frame) + 1.2)))
    y = np.arange(len(frame))
    colours = np.where(frame[outcome] == 1, "tab:green", np.where(frame[outcome] == -1, "tab:red", "tab:grey"))
    for yi, v, e, c in zip(y, frame[value], frame[se], colours):
        ax.plot([v - 1.96 * e, v + 1.96 * e], [yi, yi], color=c, lw=1)
    ax.scatter(frame[value], y, c=colours, s=10, zorder=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, list(frame[label]), fontsize=5)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=9)
    return _finish(fig, [], caption_text, path)


def critical_difference(ranks: pd.Series, p_values: pd.DataFrame, title: str = "", caption_text: str | None = None,
                        path: str | Path | None = None):
    """The critical-difference diagram of mean ranks (Demšar, JMLR 2006) drawn by scikit-posthocs: methods joined by
    a bar are not significantly different (``p_values``: the pairwise Nemenyi p-values)."""
    import scikit_posthocs as sp
    fig, ax = plt.subplots(figsize=(8.0, 4.2))
    sp.critical_difference_diagram(ranks, p_values, ax=ax, label_fmt_left="{label} ({rank:.2f})  ",
                                   label_fmt_right="  ({rank:.2f}) {label}", text_h_margin=0.35,
                                   label_props={"fontsize": 6})
    ax.set_title(title, fontsize=9)
    return _finish(fig, [], caption_text, path)
