"""The kinds of network a fit can train (:data:`NETWORKS`: what each reads, how its
configuration follows from the forecast configuration and the prepared data, its class), which
of them a configuration asks for (:func:`network_kinds`) and the choice a fit settles on
(:class:`NetworkSpec`). Adding a kind is one entry in :data:`NETWORKS`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from torch import nn

from seqlab.capabilities import Takes
from seqlab.config import Seq2SeqConfig
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.prepare import Prepared
from seqlab.models.segment import SegmentConfig, SegmentRNN
from seqlab.models.seq2seq import Seq2Seq

__all__ = ["NETWORKS", "Kind", "NetworkKind", "NetworkSpec", "network_config", "network_kinds",
           "wanted"]  # fmt: skip

Kind = Literal["seq2seq", "direct", "segment"]


@dataclass(frozen=True)
class NetworkSpec:
    """The network the fit settled on: its kind, the lookback its windows read (the longest
    for a mean over lookbacks) and whether a segment model adds the gated repeat skip."""

    model: Kind
    lookback: int
    repeat_skip: bool = False

    def applied(self, config: ForecastConfig) -> ForecastConfig:
        """``config`` with these choices in place of the ones it leaves open (a local value
        from which the network's own config is built; the Forecaster's config is not
        changed)."""
        return config.replace(
            model=self.model,
            lookback=self.lookback,
            lookbacks=(),
            repeat_skip=self.repeat_skip,
        )

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "lookback": self.lookback, "repeat_skip": self.repeat_skip}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NetworkSpec:
        return cls(data["model"], int(data["lookback"]), bool(data["repeat_skip"]))


@dataclass(frozen=True)
class NetworkKind:
    """One kind of network a fit can train: what it reads besides the targets' history
    (``takes``; calendar features count as future covariates), how its configuration follows
    from the forecast configuration and the prepared data (``build``, given the lookback) and
    the class built from that configuration. Adding a kind is one entry in :data:`NETWORKS`."""

    takes: Takes
    build: Callable[[ForecastConfig, Prepared, int], Seq2SeqConfig | SegmentConfig]
    model: Callable[[Any], nn.Module]


def _encoder_decoder(c: ForecastConfig, prepared: Prepared, lookback: int) -> Seq2SeqConfig:
    part = next(iter(prepared.parts.values()))
    return c.model_config(
        len(part.targets), len(part.covariates), len(prepared.calendar), lookback,
        len(part.futures), 0 if part.static is None else len(part.static),
    )  # fmt: skip


def _segment(c: ForecastConfig, prepared: Prepared, lookback: int) -> SegmentConfig:
    part = next(iter(prepared.parts.values()))
    segment = c.segment_length(lookback, prepared.period)
    return c.segment_config(len(part.targets), lookback, segment, prepared.period)


_ENCODER_TAKES = Takes(past_covariates=True, future_covariates=True, static_covariates=True)
NETWORKS: dict[Kind, NetworkKind] = {
    "seq2seq": NetworkKind(_ENCODER_TAKES, _encoder_decoder, Seq2Seq),
    "direct": NetworkKind(replace(_ENCODER_TAKES, quantiles=True), _encoder_decoder, Seq2Seq),
    "segment": NetworkKind(Takes(), _segment, SegmentRNN),  # the target columns only
}


def wanted(config: ForecastConfig) -> Takes:
    """What the configuration asks a network to take (the calendar as future covariates)."""
    return Takes(
        past_covariates=bool(config.network.covariates),
        future_covariates=bool(config.network.calendar or config.network.future_covariates),
        static_covariates=bool(config.network.static_covariates),
        quantiles=bool(config.network.quantiles),
    )


def network_kinds(config: ForecastConfig) -> list[Kind]:
    """The networks a fit trains: the one ``model`` names, or with "auto" a list of
    candidates: the encoder–decoder (its feedback decoder, or the direct head where it must
    output quantiles) and the segment-recurrent network, each where it takes every input the
    configuration asks for (:data:`NETWORKS`)."""
    if config.network.model != "auto":
        return [config.network.model]
    need = wanted(config)
    encoder: Kind = "seq2seq" if NETWORKS["seq2seq"].takes.covers(need) else "direct"
    kinds: list[Kind] = [encoder]
    if NETWORKS["segment"].takes.covers(need):
        kinds.append("segment")
    return kinds


def network_config(
    prepared: Prepared, config: ForecastConfig, spec: NetworkSpec, lookback: int | None = None
) -> Seq2SeqConfig | SegmentConfig:
    """The network ``spec`` describes (reading ``lookback`` rows, default the spec's)."""
    lookback = spec.lookback if lookback is None else lookback
    return NETWORKS[spec.model].build(spec.applied(config), prepared, lookback)
