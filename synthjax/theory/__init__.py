"""The theory engine: score geometry, first-order predictions, diagnostics and size tuners
(Ma & Zhang, arXiv 2601.16120; SPEC §5–§6)."""
from ._moments import (GeneratorDependence, ScoreMoments, autodiff_moments, independent, law_moments,
                       learner_moments, parameter_vector, sample_moments)
from ._predict import (FirstOrderRisk, ScoreGeometry, augmentation_weights, first_order_risk, generator_moments,
                       marginal_generator_law, metric_regret_curve, mismatch, population_excess_curve, population_root,
                       predicted_best_size, score_geometry, theory_target_size)

__all__ = ["ScoreMoments", "law_moments", "sample_moments", "autodiff_moments", "learner_moments",
           "parameter_vector", "ScoreGeometry", "score_geometry",
           "generator_moments", "mismatch", "FirstOrderRisk", "first_order_risk", "theory_target_size",
           "population_root", "population_excess_curve", "augmentation_weights", "metric_regret_curve",
           "marginal_generator_law", "predicted_best_size", "GeneratorDependence", "independent"]
from ._diagnostics import (QualityScore, SymmetryTest, balanced_fit, fold_masks, fold_split, generator_quality,
                           symmetry_test)
from ._tuners import (BIASED, COST_GRID, FULL_GRID, REALISTIC, SYMMETRIC, TGVTSSResult, TunedFit, augmented_fits, balancing, cost_sensitive,
                      reweighting, select_size, tg_vtss, vtss)

__all__ += ["SymmetryTest", "symmetry_test", "QualityScore", "generator_quality", "balanced_fit", "fold_split", "fold_masks",
            "TunedFit", "TGVTSSResult", "select_size", "vtss", "tg_vtss", "balancing", "SYMMETRIC", "REALISTIC",
            "BIASED", "reweighting", "cost_sensitive", "COST_GRID", "FULL_GRID", "augmented_fits"]
from ._rates import Agreement, RateFit, agreement, fit_rate

__all__ += ["RateFit", "fit_rate", "Agreement", "agreement"]
from ._dependence import (DependentRisk, bootstrap_dependence, dependent_excess_curve, dependent_metric_regret,
                          generator_dependence, metric_regret_prediction, oversampling_dependence, plugin_size,
                          reads_majority, SampledRisk, sampled_excess_curve, sampled_geometry)

__all__ += ["generator_dependence", "oversampling_dependence", "plugin_size", "reads_majority", "DependentRisk",
            "dependent_excess_curve", "bootstrap_dependence", "metric_regret_prediction", "dependent_metric_regret",
            "sampled_geometry", "sampled_excess_curve", "SampledRisk"]
