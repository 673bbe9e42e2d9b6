"""Fit status codes (``FitInfo.status``, ``TrainInfo.status``): 0 converged, 1 iteration limit reached,
2 non-finite loss or step."""
#: fit statuses (``FitInfo.status``): converged, iteration limit reached, non-finite loss or step
OK, MAX_ITER, NONFINITE = 0, 1, 2
