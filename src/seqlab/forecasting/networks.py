"""Training the networks of a :class:`~seqlab.forecasting.Forecaster`: windows of every
series, ensembles of members, the choice among lookbacks (fully trained, or trials and then the
best trained on; for segment models, the mean of every lookback when it validates better), and
the optional refit on training + validation rows, and ``model="auto"``'s choice between the
encoder–decoder and the segment-recurrent network. A mixin: the Forecaster holds the state.

Shape key: N windows, L lookback, H horizon, F input columns, O targets.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Literal, Self

import numpy as np
from numpy.typing import NDArray
from torch import nn

from seqlab._seed import set_seed
from seqlab.checkpoint import Checkpoint
from seqlab.config import Seq2SeqConfig
from seqlab.data.indexed import WindowData
from seqlab.data.sources import Series
from seqlab.data.windows import first_origin
from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.parts import Part, features
from seqlab.forecasting.selection import MODEL, ValidationBlock, choose
from seqlab.models.ensemble import Ensemble, EnsembleConfig
from seqlab.models.segment import SegmentConfig, SegmentRNN
from seqlab.models.seq2seq import Seq2Seq
from seqlab.training import History, Trainer

__all__ = ["NetworkTraining"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]


class NetworkTraining:
    """The network-training half of the Forecaster (see the module docstring)."""

    config: ForecastConfig
    parts: dict[str, Part]
    period: int | None
    calendar: tuple[str, ...]
    checkpoint: Checkpoint | None
    history: History | None
    member_histories: list[History]
    groups: list[tuple[int, list[History]]]
    lookback_losses: dict[int, float]
    skip_losses: dict[int, float]
    validation_loss: float | None
    selection: dict[str, Any]
    selection_lookbacks: dict[str, float]

    def _describe(self) -> dict[str, Any]:
        raise NotImplementedError

    def _require_fitted(self) -> Checkpoint:
        raise NotImplementedError

    # provided by the Forecaster (and its interval mixin)
    def fit(self, series: Any) -> Self:
        raise NotImplementedError

    def _validation_blocks(self, baselines: bool = True) -> list[ValidationBlock]:
        raise NotImplementedError

    def _floor(self, part: Part) -> F64:
        raise NotImplementedError

    def _select(self) -> None:
        raise NotImplementedError

    def _calibrate(self) -> None:
        raise NotImplementedError

    def _uses_model(self) -> bool:
        raise NotImplementedError

    def _fit_auto(self, named: dict[str, Series]) -> Self:
        """``model="auto"``: train the encoder–decoder and the segment-recurrent network,
        keep the one whose own forecasts score the lowest validation MASE, then choose among
        it, the baselines and their combination as usual."""
        c = self.config
        # quantile outputs need the direct head; the segment model reads targets only
        kinds: list[Literal["seq2seq", "direct", "segment"]] = [
            "direct" if c.quantiles else "seq2seq"
        ]
        if not (c.covariates or c.calendar or c.quantiles):
            kinds.append("segment")
        fitted, scores = {}, {}
        for kind in kinds:
            sub = replace(c, model=kind, select="model", refit=False, log=False)
            if c.log:  # ``named`` is already in logs, which may be negative
                sub = replace(sub, nonnegative=False)
            make: Any = type(self)  # the Forecaster
            f = make(sub).fit(named)
            blocks = f._validation_blocks(baselines=False)
            scores[kind] = choose(blocks)[1][MODEL] if blocks else 0.0
            fitted[kind] = f
            log.info("network %s: validation MASE %.4g", kind, scores[kind])
        best = min(kinds, key=lambda k: scores[k])
        self.__dict__.update(fitted[best].__dict__)
        self.config = replace(
            self.config, select=c.select, refit=c.refit, log=c.log, nonnegative=c.nonnegative
        )
        self.floors = {n: self._floor(p) for n, p in self.parts.items()}
        self.networks = {str(k): v for k, v in scores.items()}
        self._select()
        self._calibrate()
        if self.config.refit and self._uses_model():
            self._refit()
        self.checkpoint = replace(self._require_fitted(), data=self._describe())
        return self

    def _datasets(self, lookback: int, refit: bool = False) -> tuple[WindowData, WindowData | None]:
        """Training and validation windows of every part: those whose forecast steps lie in
        the training rows, and those whose forecast steps lie in the validation rows. With
        ``refit``, training windows reach to the end of the validation rows and there is no
        validation. Windows are origins into one buffer of every part's rows (see
        :class:`~seqlab.data.indexed.WindowData`): memory grows with the data, not with
        windows × lookback."""
        h = self.config.horizon
        rows: list[F64] = []
        found: list[list[NDArray[np.int64]]] = [[], []]
        targets, future_from = 1, None
        for part in self.parts.values():
            scaled, calendar, _ = features(part, part.series, self.period, self.calendar)
            targets = len(part.targets)
            if calendar is not None:
                future_from = scaled.shape[1]
                scaled = np.concatenate([scaled, calendar], axis=1)
            rows.append(scaled)
            end = part.test_start if refit else part.train_end
            start = first_origin(end, lookback, h)  # a short series: left-padded windows
            bounds = ((start, end), (end, part.test_start))  # first_origin <= end - h
            for store, (first, last) in zip(found, bounds, strict=True):
                store.append(np.arange(first, last - h + 1))
        train, val = (
            WindowData.from_series(rows, origins, lookback, h, targets, future_from)
            if sum(len(o) for o in origins)
            else None
            for origins in found
        )
        if train is None:
            raise DataError(
                f"no training windows: every series is shorter than lookback + horizon "
                f"({lookback} + {h}) in its training rows"
            )
        return train, val

    def _refit(self) -> None:
        """Retrain the chosen network on the training and validation rows, each member for
        as many epochs as early stopping kept on validation (each lookback group on its own
        windows)."""
        if not self._has_validation_rows():
            return
        groups, all_epochs = [], []
        for lookback, histories in self.groups:
            train, _ = self._datasets(lookback, refit=True)
            epochs = [_kept_epochs(h) for h in histories]
            groups.append((lookback, self._train_members(lookback, train, None, epochs)))
            all_epochs.extend(epochs)
        checkpoint = self._require_fitted()
        model = (
            self._lookback_ensemble(groups)
            if len(groups) > 1
            else self._combine_members(groups[0][0], groups[0][1])
        )
        self.selection["refit"] = True
        self.selection["refit_epochs"] = all_epochs
        self.checkpoint = replace(checkpoint, model=model, data=self._describe())

    def _has_validation_rows(self) -> bool:
        """Whether some series keeps a validation window (one horizon of rows between its
        training and test rows; a short history before them is left-padded)."""
        h = self.config.horizon
        return any(p.test_start - p.train_end >= h for p in self.parts.values())

    def _skip_rule(self, lookback: int) -> bool:
        """``repeat_skip`` as a bool for this lookback: as given, or with "auto" whether a
        segment is one season (where the gated copy is the seasonal naive forecast)."""
        c = self.config
        return c.repeats_season(c.segment_length(lookback, self.period), self.period)

    def _skip_choice(self) -> bool:
        """Whether validation chooses ``repeat_skip`` ("auto", a segment model, a segment of
        one season for some lookback, and validation rows to choose on)."""
        c = self.config
        lookbacks = c.lookbacks or (c.lookback,)
        return (
            c.model == "segment"
            and c.repeat_skip == "auto"
            and any(self._skip_rule(lb) for lb in lookbacks)
            and self._has_validation_rows()
        )

    def _choose_lookback(self) -> None:
        """Train one model per lookback and keep the lowest validation loss; where validation
        chooses ``repeat_skip``, the shortest lookback that offers it trains one model with and
        one without it, and the longer ones only the better of the two (half the trials of
        trying both everywhere; on M4 Hourly the skip won at every lookback). With trial epochs
        the best trains on, without them the mean of the lookbacks may replace it."""
        if not self._has_validation_rows():
            raise DataError(
                "choosing among `lookbacks` needs a validation window of `horizon` rows in some "
                "series; give more `val_rows` (or a larger `val_fraction`)"
            )
        trials = []
        trial = self.config.lookback_trial_epochs
        auto, both = self.config, self._skip_choice()
        decided: bool | None = None  # the skip chosen at the shortest lookback offering it
        for lookback in sorted(auto.lookbacks or (auto.lookback,)):
            offered = both and self._skip_rule(lookback)
            skips = [False]
            if offered:  # both ways the first time, then the winner
                skips = [False, True] if decided is None else [decided]
            for skip in skips:
                self.config = replace(auto, repeat_skip=skip)
                checkpoint, history = self._fit_lookback(lookback, trial)
                assert self.validation_loss is not None
                loss = self.validation_loss
                (self.skip_losses if skip else self.lookback_losses)[lookback] = loss
                trials.append((loss, lookback, checkpoint, history, self.member_histories, skip))
                log.info("lookback %d%s: validation loss %.4g", lookback,
                         " with repeat_skip" if skip else "", loss)  # fmt: skip
            if offered and decided is None:
                decided = min((t for t in trials if t[1] == lookback), key=lambda t: t[0])[5]
        best = min(trials, key=lambda t: t[0])
        self.validation_loss, lookback, checkpoint, self.history, self.member_histories = best[:5]
        self.groups = [(lookback, self.member_histories)]
        self.config = replace(auto, lookback=lookback, lookbacks=(), repeat_skip=best[5])
        self.checkpoint = replace(checkpoint, data=self._describe())
        if trial is None:
            self._try_lookback_mean([t for t in trials if t[5] == best[5]])
        elif trial < self.config.epochs:
            self._continue_training(trial)

    def _continue_training(self, done: int) -> None:
        """Train the chosen lookback's members on from their trial epochs to the end (early
        stopping as usual); their histories cover both stretches."""
        c, checkpoint = self.config, self._require_fitted()
        train, val = self._datasets(c.lookback)
        histories = []
        for k, (member, before) in enumerate(
            zip(_members(checkpoint.model), self.member_histories, strict=True)
        ):
            set_seed(c.seed + k + 1000)
            tc = replace(self.config.train_config(c.seed + k + 1000, True), epochs=c.epochs - done)
            after = Trainer(tc).fit(member, train, val)
            histories.append(_join(before, after))
        self.member_histories = histories
        self.groups = [(c.lookback, histories)]
        self.history = histories[0]
        if val is not None:
            trainer = Trainer(self.config.train_config(c.seed, True))
            self.validation_loss = trainer.evaluate(checkpoint.model, val.batches(c.batch_size))
        self.checkpoint = replace(checkpoint, history=self.history, data=self._describe())

    def _try_lookback_mean(self, trials: list[Any]) -> None:
        """Segment models: the mean of the models of every lookback replaces the best single
        one when it scores lower on the same validation windows (those of the longest)."""
        lookbacks = [t[1] for t in trials]
        segments = {self.config.segment_length(lb, self.period) for lb in lookbacks}
        if self.config.model != "segment" or len(segments) != 1:
            return
        c, longest = self.config, max(lookbacks)
        _, val = self._datasets(longest)
        if val is None:
            return
        trainer = Trainer(self.config.train_config(c.seed, True))
        groups = [(t[1], _members(t[2].model)) for t in trials]
        best = [g for g in groups if g[0] == c.lookback]
        scores = {
            name: trainer.evaluate(self._lookback_ensemble(g), val.batches(c.batch_size))
            for name, g in (("best", best), ("mean", groups))
        }
        self.selection_lookbacks = {"lookback": c.lookback, **scores}
        log.info("lookbacks: best alone %.4g, mean of all %.4g", scores["best"], scores["mean"])
        if scores["mean"] < scores["best"]:
            self.validation_loss = scores["mean"]
            self.groups = [(t[1], t[4]) for t in trials]
            self.config = replace(self.config, lookback=longest)
            model = self._lookback_ensemble(groups)
            self.checkpoint = replace(self._require_fitted(), model=model, data=self._describe())

    def _lookback_ensemble(self, groups: list[tuple[int, list[nn.Module]]]) -> Ensemble:
        """One ensemble over groups of segment members, each group with its own lookback;
        it reads windows of the longest lookback."""
        longest = max(lb for lb, _ in groups)
        lookbacks = tuple(lb for lb, members in groups for _ in members)
        config = EnsembleConfig(self._network_config(longest), len(lookbacks), lookbacks=lookbacks)
        return _filled(Ensemble(config), [m for _, members in groups for m in members])

    def _fit_lookback(
        self, lookback: int, max_epochs: int | None = None
    ) -> tuple[Checkpoint, History]:
        """Train the model (or ensemble) that reads ``lookback`` rows (for at most
        ``max_epochs``); score it on validation."""
        c = self.config
        train, val = self._datasets(lookback)
        members = self._train_members(lookback, train, val, max_epochs=max_epochs)
        model = self._combine_members(lookback, members)
        self.history = self.member_histories[0]
        self.validation_loss = (
            Trainer(self.config.train_config(c.seed, True)).evaluate(
                model, val.batches(c.batch_size)
            )
            if val is not None
            else None
        )
        self.checkpoint = Checkpoint(
            model,
            train_config=self.config.train_config(c.seed, val is not None),
            history=self.history,
            data=self._describe(),
        )
        return self.checkpoint, self.history

    def _network_config(self, lookback: int) -> Seq2SeqConfig | SegmentConfig:
        c, part = self.config, next(iter(self.parts.values()))
        if c.model == "segment":
            segment = c.segment_length(lookback, self.period)
            return c.segment_config(len(part.targets), lookback, segment, self.period)
        return c.model_config(len(part.targets), len(part.covariates), len(self.calendar), lookback)

    def _train_members(
        self,
        lookback: int,
        train: WindowData,
        val: WindowData | None,
        epochs: list[int] | None = None,
        max_epochs: int | None = None,
    ) -> list[nn.Module]:
        """Train ``ensemble`` networks (each its own seed: initial weights and batch order);
        with ``epochs``, member k trains for epochs[k] epochs without validation; with
        ``max_epochs``, at most that many."""
        c, config = self.config, self._network_config(lookback)
        members: list[nn.Module] = []
        histories = []
        for k in range(c.ensemble):
            set_seed(c.seed + k)
            net: nn.Module = (
                SegmentRNN(config) if isinstance(config, SegmentConfig) else Seq2Seq(config)
            )
            members.append(net)
            tc = self.config.train_config(c.seed + k, val is not None)
            if epochs is not None:
                tc = replace(tc, epochs=epochs[k], patience=None)
            elif max_epochs is not None:
                tc = replace(tc, epochs=min(max_epochs, tc.epochs))
            histories.append(Trainer(tc).fit(net, train, val))
        if epochs is None:
            self.member_histories = histories
        return members

    def _combine_members(self, lookback: int, members: list[nn.Module]) -> nn.Module:
        if len(members) == 1:
            return members[0]
        return _filled(
            Ensemble(EnsembleConfig(self._network_config(lookback), len(members))), members
        )


def _kept_epochs(history: History) -> int:
    """How many epochs early stopping kept (all of them without it)."""
    best = history.best_epoch
    return 1 + (best if best is not None and best >= 0 else len(history.epochs) - 1)


def _join(before: History, after: History) -> History:
    """One history of training that went on from ``before`` with ``after``."""
    offset = len(before.epochs)
    epochs = [*before.epochs, *({**e, "epoch": e["epoch"] + offset} for e in after.epochs)]
    best = after.best_epoch
    if best is not None and best >= 0:
        best += offset
    return History(epochs, best)


def _filled(model: Ensemble, trained: list[nn.Module]) -> Ensemble:
    """``model`` with the weights of the ``trained`` networks, member by member."""
    for slot, member in zip(model.members, trained, strict=True):
        slot.load_state_dict(member.state_dict())
    return model


def _members(model: nn.Module) -> list[nn.Module]:
    return list(model.members) if isinstance(model, Ensemble) else [model]
