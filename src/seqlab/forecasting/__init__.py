"""Forecasting real series: :class:`Forecaster` (fit, evaluate against baselines, forecast,
save, load), its :class:`ForecastConfig`, and the :class:`Evaluation` it returns."""

from seqlab.data.calendar import season_index
from seqlab.forecasting.config import PERIODS, ForecastConfig
from seqlab.forecasting.forecaster import Forecaster
from seqlab.forecasting.results import Evaluation

__all__ = ["PERIODS", "Evaluation", "ForecastConfig", "Forecaster", "season_index"]
