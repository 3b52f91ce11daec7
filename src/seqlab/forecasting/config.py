"""What to forecast and how: :class:`ForecastConfig` in five sections — :class:`SplitConfig`
(how each series is cut), :class:`NetworkConfig` (the network and what it reads),
:class:`~seqlab.config.TrainConfig` (its training, the same config :class:`~seqlab.training.Trainer`
takes), :class:`SelectionConfig` (the choice among candidates) and :class:`IntervalConfig` —
and the seasonal period of each frequency. The one place where a ForecastConfig is mapped to the
configs of the networks (:meth:`ForecastConfig.model_config`,
:meth:`~ForecastConfig.segment_config`) and of their training
(:meth:`~ForecastConfig.train_config`); the CLI, the TOML file and :meth:`ForecastConfig.of`
name each field by its flat name (:data:`FIELDS`), and take each default from here."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seqlab.config import SegmentConfig, Seq2SeqConfig, TrainConfig
from seqlab.errors import ConfigError
from seqlab.forecasting.sections import (
    FORECAST_TRAINING,
    IntervalConfig,
    NetworkConfig,
    SelectionConfig,
    SplitConfig,
)

__all__ = [
    "FIELDS",
    "FORECAST_TRAINING",
    "PERIODS",
    "SECTIONS",
    "ForecastConfig",
    "IntervalConfig",
    "NetworkConfig",
    "SelectionConfig",
    "SplitConfig",
    "flat_settings",
]

PERIODS = {"MS": 12, "ME": 12, "M": 12, "QS": 4, "QE": 4, "W": 52, "D": 7, "h": 24, "H": 24}


SECTION_TYPES: dict[str, type[Any]] = {
    "split": SplitConfig,
    "network": NetworkConfig,
    "training": TrainConfig,
    "selection": SelectionConfig,
    "intervals": IntervalConfig,
}
# TrainConfig fields a forecast does not take: its validation rows are the split's, and it
# writes no resume state; they must keep TrainConfig's defaults
NOT_TAKEN = {"training": ("val_fraction", "checkpoint_every")}


def _flat_names() -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for section, cls in SECTION_TYPES.items():
        for f in dataclasses.fields(cls):
            if f.name not in NOT_TAKEN.get(section, ()):
                names[f.metadata.get("name", f.name)] = (section, f.name)
    return names


# every setting by its flat name (the flag, the TOML key, the keyword of ForecastConfig.of):
# name -> (section, attribute)
FIELDS: dict[str, tuple[str, str]] = _flat_names()
# the flat names of each section, in order
SECTIONS: dict[str, tuple[str, ...]] = {
    s: tuple(n for n, (section, _) in FIELDS.items() if section == s) for s in SECTION_TYPES
}


def _sectioned(data: Mapping[str, Any]) -> bool:
    """Whether ``data`` holds sections (``intervals`` is also a flat name: a list there)."""
    return any(key in SECTION_TYPES and isinstance(data[key], Mapping) for key in data)


def flat_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of :meth:`ForecastConfig.to_dict`'s form (or of a flat one, as
    checkpoints written before the sections hold) by flat name, for reading a stored config
    without building it."""
    if not _sectioned(data):
        return dict(data)
    by_attribute = {(s, a): name for name, (s, a) in FIELDS.items()}
    return {
        by_attribute.get((section, attribute), attribute): value
        for section, table in data.items()
        for attribute, value in table.items()
        if attribute not in NOT_TAKEN.get(section, ())
    }


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how, in five sections: ``split`` (:class:`SplitConfig`),
    ``network`` (:class:`NetworkConfig`), ``training`` (:class:`~seqlab.config.TrainConfig`;
    default :data:`FORECAST_TRAINING`), ``selection`` (:class:`SelectionConfig`) and
    ``intervals`` (:class:`IntervalConfig`); each section's docstring says what its fields do.

    :meth:`of` builds one from flat names, each in its section (``ForecastConfig.of(horizon=24,
    hidden_size=32, epochs=20)``), the names the command line's flags and the TOML file use;
    :meth:`replace` changes some; :meth:`value` reads one. A fit never changes its config: what
    it learns (the lookback and network chosen, the selection) is in ``Forecaster.fitted``."""

    split: SplitConfig = field(default_factory=SplitConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainConfig = field(default_factory=lambda: FORECAST_TRAINING)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    intervals: IntervalConfig = field(default_factory=IntervalConfig)

    def __post_init__(self) -> None:
        for section, cls in SECTION_TYPES.items():
            value = getattr(self, section)
            if not isinstance(value, cls):
                article = "an" if cls.__name__[0] in "AEIOU" else "a"
                raise TypeError(
                    f"ForecastConfig `{section}` must be {article} {cls.__name__}, got "
                    f"{type(value).__name__}; flat names go to ForecastConfig.of(...)"
                )
        default = TrainConfig()
        for name in NOT_TAKEN["training"]:
            if getattr(self.training, name) != getattr(default, name):
                raise ConfigError(
                    f"`training.{name}` is not used by a forecast (the validation rows are "
                    f"the split's `val_fraction` / `val_rows`; no resume state is written), "
                    f"got {getattr(self.training, name)!r}"
                )
        net = self.network
        if net.model == "segment":
            if net.segment is not None:
                self.segment_config(1, self.split.lookback, net.segment)  # checks the fields
        else:
            self.model_config()  # checks the architecture's fields

    @classmethod
    def of(cls, **values: Any) -> ForecastConfig:
        """A config from flat names (:data:`FIELDS`) and whole sections, the rest defaults."""
        return cls().replace(**values)

    def replace(self, **values: Any) -> ForecastConfig:
        """This config with the given flat names (:data:`FIELDS`) and whole sections
        changed; an unknown name is a TypeError naming the closest one."""
        sections = {  # `intervals` is a section and a flat name: a section is its class
            s: values.pop(s)
            for s in list(values)
            if s in SECTION_TYPES and (s not in FIELDS or isinstance(values[s], SECTION_TYPES[s]))
        }
        changes: dict[str, dict[str, Any]] = {}
        for name, value in values.items():
            if name not in FIELDS:
                close = difflib.get_close_matches(name, list(FIELDS), n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                raise TypeError(f"ForecastConfig has no setting `{name}`{hint}")
            section, attribute = FIELDS[name]
            changes.setdefault(section, {})[attribute] = value
        for section, attributes in changes.items():
            base = sections.get(section, getattr(self, section))
            sections[section] = dataclasses.replace(base, **attributes)
        return dataclasses.replace(self, **sections)

    def value(self, name: str) -> Any:
        """The setting of flat name ``name`` (:data:`FIELDS`)."""
        section, attribute = FIELDS[name]
        return getattr(getattr(self, section), attribute)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The JSON form: one table per section (every field, as :func:`dataclasses.asdict`)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ForecastConfig:
        """Read :meth:`to_dict`'s form back; a flat mapping (checkpoints written before the
        sections) is read by flat names."""
        if not _sectioned(data):
            return cls.of(**data)
        for key in data:
            if key not in SECTION_TYPES:
                raise ConfigError(f"unknown section `{key}`; sections: {', '.join(SECTION_TYPES)}")
        return cls(**{s: SECTION_TYPES[s](**table) for s, table in data.items()})

    def segment_length(self, lookback: int, period: int | None) -> int:
        """``segment``, or the seasonal period when it divides ``lookback``, or the largest
        divisor of ``lookback`` that leaves at least four segments."""
        if self.network.segment is not None:
            return self.network.segment
        if period and period > 1 and lookback % period == 0 and lookback // period >= 2:
            return period
        return max(w for w in range(1, max(1, lookback // 4) + 1) if lookback % w == 0)

    def segment_config(
        self, targets: int, lookback: int, segment: int, period: int | None = None
    ) -> SegmentConfig:
        """The segment-recurrent network for ``targets`` channels (``repeat_skip`` as
        :meth:`repeats_season` says)."""
        net = self.network
        return SegmentConfig(
            lookback=lookback,
            horizon=self.split.horizon,
            segment=segment,
            channels=targets,
            cell=net.cell,
            hidden_size=net.hidden_size,
            num_layers=net.num_layers,
            dropout=net.dropout,
            repeat_skip=self.repeats_season(segment, period),
        )

    def repeats_season(self, segment: int, period: int | None) -> bool:
        """``repeat_skip`` as a bool: as given, or with "auto" whether a segment is one season
        (``period``), where the gated copy of the last segment is the seasonal naive forecast."""
        if self.network.repeat_skip != "auto":
            return bool(self.network.repeat_skip)
        return period is not None and period > 1 and segment == period

    def model_config(
        self,
        targets: int = 1,
        covariates: int = 0,
        calendar: int = 0,
        lookback: int | None = None,
        futures: int = 0,
        statics: int = 0,
    ) -> Seq2SeqConfig:
        """The encoder–decoder for ``targets`` forecast columns, ``covariates`` past
        covariates, ``futures`` future-known covariates and ``calendar`` calendar features (two
        columns each) and ``statics`` encoded static covariates; the known-future ones and the
        static ones enter the encoder beside each input step and the decoder beside each
        forecast step."""
        net = self.network
        lookback = self.split.lookback if lookback is None else lookback
        return Seq2SeqConfig(
            horizon=self.split.horizon,
            cell=net.cell,
            input_size=targets + covariates + futures + statics + 2 * calendar,
            output_size=targets,
            future_size=futures + statics + 2 * calendar,
            hidden_size=net.hidden_size,
            num_layers=net.num_layers,
            dropout=net.dropout,
            mode="direct" if net.model == "direct" or net.quantiles else "seq2seq",
            quantiles=net.quantiles,
            instance_norm=net.instance_norm,
            linear_skip=lookback if net.linear_skip else None,
        )

    def train_config(self, seed: int, validation: bool) -> TrainConfig:
        """How each network is trained: the training section with member ``seed`` (early
        stopping only with validation rows)."""
        patience = self.training.patience if validation else None
        return dataclasses.replace(self.training, seed=seed, patience=patience)
