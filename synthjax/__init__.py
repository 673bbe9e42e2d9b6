"""synthjax: a JAX engine for the statistics of synthetic data augmentation in imbalanced learning."""
from . import data, dgp, learn, metrics, runner, synth
from ._compile_cache import enable_compile_cache
from ._validate import InvalidParameterError

__version__ = "0.1.0"
__all__ = ["data", "dgp", "synth", "learn", "metrics", "runner", "InvalidParameterError", "enable_compile_cache",
           "__version__"]
