"""Test configuration: strict dtype and rank promotion; 64-bit only where a test asks for it."""
import jax
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def x64():
    """Run the test body with 64-bit floats (for comparisons to the last digits)."""
    with jax.enable_x64(True):
        yield
