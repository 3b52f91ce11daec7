"""Forecasting real series: :class:`Forecaster` (fit, evaluate against baselines, forecast,
save, load), its :class:`ForecastConfig`, and the :class:`Evaluation` it returns."""

from typing import TYPE_CHECKING

from seqlab._lazy import lazy_attributes

if TYPE_CHECKING:
    from seqlab.data.calendar import season_index
    from seqlab.forecasting.config import PERIODS, ForecastConfig
    from seqlab.forecasting.forecaster import Forecaster
    from seqlab.forecasting.results import Evaluation

__all__ = ["PERIODS", "Evaluation", "ForecastConfig", "Forecaster", "season_index"]

# Imported on first use, so that importing a sibling module does not import them all.
__getattr__ = lazy_attributes(
    __name__,
    {
        "season_index": "seqlab.data.calendar",
        "PERIODS": "seqlab.forecasting.config",
        "ForecastConfig": "seqlab.forecasting.config",
        "Forecaster": "seqlab.forecasting.forecaster",
        "Evaluation": "seqlab.forecasting.results",
    },
)
