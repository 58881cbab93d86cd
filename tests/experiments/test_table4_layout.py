"""Table 4's cells as ``evaluate`` prints them (issue 18, defect 10: ``--bootstrap 0``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bagan_lib.experiments.table4 import layout


def scores(low: float, high: float) -> pd.DataFrame:
    return pd.DataFrame([{"row": "BAGAN-GP v3", "seed": 42, "class": 0, "name": "round", "n_train": 40, "n_real": 40,
                          "FID": 12.345, "FID low": low, "FID high": high, "KID": 0.5, "KID std": 0.1, "share": 0.9}])


def test_a_fid_without_bootstrap_shows_the_value_alone_not_a_zero_width_interval():
    """Issue 18, defect 10: ``evaluate --bootstrap 0`` printed "12.3 [12.3, 12.3]", an interval of width zero."""
    cell = layout(scores(np.nan, np.nan), "FID").iloc[0, 1]
    assert cell == "12.3"
    assert layout(scores(10.0, 15.0), "FID").iloc[0, 1] == "12.3 [10, 15]"
