"""synthjax: a JAX engine for the statistics of synthetic data augmentation in imbalanced learning."""
from . import data, dgp, learn, metrics, runner, synth
from ._compile_cache import cpu_options_for_every_program, enable_compile_cache
from ._validate import InvalidParameterError

__version__ = "0.2.0"
__all__ = ["data", "dgp", "synth", "learn", "metrics", "runner", "InvalidParameterError", "enable_compile_cache",
           "cpu_options_for_every_program", "__version__"]
