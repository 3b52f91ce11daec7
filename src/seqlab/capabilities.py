"""What a forecasting candidate can read besides each target's own history, declared by
every candidate (each network kind, each baseline, each classical method) and compared with
what the data and the configuration ask for (after NeuralForecast's capability flags)."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["Takes"]


@dataclass(frozen=True)
class Takes:
    """Kinds of input beyond the targets' history: past covariates (columns known up to the
    forecast origin), future-known covariates (known over the forecast period too; the
    calendar features are such), static covariates (one value per series), and quantile
    outputs. A candidate that does not take a kind the data has either leaves the selection
    or is reported as ignoring those columns; it never ignores them silently."""

    past_covariates: bool = False
    future_covariates: bool = False
    static_covariates: bool = False
    quantiles: bool = False

    def missing(self, wanted: Takes) -> list[str]:
        """The kinds ``wanted`` asks for that this does not take (their field names)."""
        return [
            f.name for f in fields(self) if getattr(wanted, f.name) and not getattr(self, f.name)
        ]

    def covers(self, wanted: Takes) -> bool:
        return not self.missing(wanted)
