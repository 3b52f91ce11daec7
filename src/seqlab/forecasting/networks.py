"""The network stage of a fit (the kinds of network: :mod:`seqlab.forecasting.kinds`): windows
of every series, ensembles of members, the choice
among lookbacks (fully trained, or trials and then the best trained on; for segment models,
the mean of every lookback when it validates better) and of ``repeat_skip``, and the optional
refit on training + validation rows. Each function takes the prepared series and the
configuration and returns a frozen :class:`NetworkFit`; nothing is kept anywhere else.

Shape key: N windows, L lookback, H horizon, F input columns, O targets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from seqlab._seed import set_seed
from seqlab.checkpoint import Checkpoint
from seqlab.data.indexed import WindowData
from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.kinds import NETWORKS, Kind, NetworkSpec, network_config
from seqlab.forecasting.predictor import middle_index
from seqlab.forecasting.prepare import Prepared, datasets
from seqlab.models.ensemble import Ensemble, EnsembleConfig
from seqlab.training import History, Trainer

__all__ = ["NetworkFit", "refit_network", "train_network"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]
Groups = tuple[tuple[int, tuple[History, ...]], ...]


@dataclass(frozen=True)
class NetworkFit:
    """A trained network (``checkpoint``: model, training config and the history of its first
    member) with how it was chosen: the lookback groups it holds with their members' training
    histories, its validation error, the error of every lookback tried (and with
    ``repeat_skip``, where tried) and, for a mean over lookbacks, the scores behind it."""

    spec: NetworkSpec
    checkpoint: Checkpoint
    groups: Groups = ()
    validation_loss: float | None = None
    lookback_losses: Mapping[int, float] = field(default_factory=dict)
    skip_losses: Mapping[int, float] = field(default_factory=dict)
    lookback_choice: Mapping[str, float] = field(default_factory=dict)
    refit_epochs: tuple[int, ...] | None = None


@dataclass(frozen=True)
class _Trial:
    loss: float
    spec: NetworkSpec
    checkpoint: Checkpoint
    histories: tuple[History, ...]
    se: float  # the standard error of ``loss`` over the validation windows


@dataclass(frozen=True)
class _Networks:
    """Trains the networks of one fit (the prepared series and the configuration)."""

    prepared: Prepared
    config: ForecastConfig

    def skip_rule(self, lookback: int) -> bool:
        """``repeat_skip`` as a bool for this lookback: as given, or with "auto" whether a
        segment is one season (where the gated copy is the seasonal naive forecast)."""
        c, period = self.config, self.prepared.period
        return c.repeats_season(c.segment_length(lookback, period), period)

    def skip_choice(self, kind: Kind) -> bool:
        """Whether validation chooses ``repeat_skip`` ("auto", a segment model, a segment of
        one season for some lookback, and validation rows to choose on)."""
        c = self.config
        return (
            kind == "segment"
            and c.network.repeat_skip == "auto"
            and any(self.skip_rule(lb) for lb in (c.split.lookbacks or (c.split.lookback,)))
            and self.prepared.has_validation_rows(c.split.horizon)
        )

    def evaluate(self, model: nn.Module, val: WindowData) -> float:
        """Mean absolute error of the (middle quantile's) forecasts over the validation
        windows, in the series' scaled units. Not the training loss: a segment model's is in
        each window's own normalised units, whose scale grows with the window, so it would
        favour the longest lookback; this error means the same at every lookback."""
        return _mean_and_se(self.window_errors(model, val))[0]

    @torch.no_grad()
    def window_errors(self, model: nn.Module, val: WindowData) -> F64:
        """Each validation window's mean absolute error (:meth:`evaluate`'s terms): (N,)."""
        was_training, device = model.training, next(model.parameters()).device
        model.eval()
        errors = []
        for batch in val.batches(self.config.training.batch_size):
            batch = batch.to(device)
            pred = model(batch.x, None, batch.future)[0]
            if pred.dim() == batch.y.dim() + 1:  # quantiles (B, H, O, Q): the middle one
                pred = pred[..., middle_index(self.config.network.quantiles or ())]
            errors.append((pred - batch.y).abs().flatten(1).mean(1).double().cpu().numpy())
        model.train(was_training)
        return np.concatenate(errors) if errors else np.zeros(0)

    def members(
        self,
        spec: NetworkSpec,
        lookback: int,
        train: WindowData,
        val: WindowData | None,
        epochs: list[int] | None = None,
        max_epochs: int | None = None,
    ) -> tuple[list[nn.Module], tuple[History, ...]]:
        """Train ``ensemble`` networks (each its own seed: initial weights and batch order);
        with ``epochs``, member k trains for epochs[k] epochs without validation; with
        ``max_epochs``, at most that many."""
        c = self.config
        config = network_config(self.prepared, c, spec, lookback)
        members: list[nn.Module] = []
        histories = []
        for k in range(c.network.ensemble):
            set_seed(c.training.seed + k)
            net = NETWORKS[spec.model].model(config)
            members.append(net)
            tc = c.train_config(c.training.seed + k, val is not None)
            if epochs is not None:
                tc = replace(tc, epochs=epochs[k], patience=None)
            elif max_epochs is not None:
                steps = self.steps(max_epochs)
                tc = replace(tc, epochs=min(max_epochs, tc.epochs), max_steps=steps)
            histories.append(Trainer(tc).fit(net, train, val))
        return members, tuple(histories)

    def steps(self, epochs: int) -> int | None:
        """``max_steps``' share for a training of ``epochs`` of the configured ``epochs`` (a
        lookback trial's), or None without ``max_steps``."""
        c = self.config.training
        return None if c.max_steps is None else max(1, -(-c.max_steps * epochs // c.epochs))

    def combined(self, spec: NetworkSpec, members: list[nn.Module]) -> nn.Module:
        if len(members) == 1:
            return members[0]
        config = EnsembleConfig(network_config(self.prepared, self.config, spec), len(members))
        return _filled(Ensemble(config), members)

    def lookback_ensemble(
        self, spec: NetworkSpec, groups: list[tuple[int, list[nn.Module]]]
    ) -> Ensemble:
        """One ensemble over groups of segment members, each group with its own lookback;
        it reads windows of the longest lookback."""
        longest = max(lb for lb, _ in groups)
        lookbacks = tuple(lb for lb, members in groups for _ in members)
        member = network_config(self.prepared, self.config, spec, longest)
        config = EnsembleConfig(member, len(lookbacks), lookbacks=lookbacks)
        return _filled(Ensemble(config), [m for _, members in groups for m in members])

    def trial(self, spec: NetworkSpec, max_epochs: int | None = None) -> _Trial:
        """Train the model (or ensemble) that ``spec`` describes (for at most ``max_epochs``)
        and score it on validation (inf without validation rows)."""
        c = self.config
        train, val = datasets(self.prepared, c, spec.lookback)
        members, histories = self.members(spec, spec.lookback, train, val, max_epochs=max_epochs)
        model = self.combined(spec, members)
        loss, se = _mean_and_se(self.window_errors(model, val) if val is not None else None)
        checkpoint = Checkpoint(
            model,
            train_config=c.train_config(c.training.seed, val is not None),
            history=histories[0],
        )
        return _Trial(loss, spec, checkpoint, histories, se)

    def fit(self, kind: Kind) -> NetworkFit:
        """One network of ``kind``: at ``lookback``, or the best of ``lookbacks``."""
        c, started = self.config, time.perf_counter()
        if not c.split.lookbacks and not self.skip_choice(kind):
            skip = kind == "segment" and self.skip_rule(c.split.lookback)
            t = self.trial(NetworkSpec(kind, c.split.lookback, skip))
            loss = None if np.isnan(t.loss) else t.loss
            return NetworkFit(t.spec, t.checkpoint, ((c.split.lookback, t.histories),), loss)
        return self.choose_lookback(kind, started)

    def choose_lookback(self, kind: Kind, started: float) -> NetworkFit:
        """Train one model per lookback and keep the lowest validation error (:meth:`evaluate`);
        where validation chooses ``repeat_skip``, the shortest lookback that offers it trains
        one model with and one without it, and the longer ones only the better of the two (half
        the trials of trying both everywhere). With trial epochs the best trains on, without
        them the mean of the lookbacks may replace it."""
        c = self.config
        if not self.prepared.has_validation_rows(c.split.horizon):
            raise DataError(
                "choosing among `lookbacks` needs a validation window of `horizon` rows in some "
                "series; give more `val_rows` (or a larger `val_fraction`)"
            )
        trials: list[_Trial] = []
        losses: dict[bool, dict[int, float]] = {False: {}, True: {}}
        both = self.skip_choice(kind)
        decided: bool | None = None  # the skip chosen at the shortest lookback offering it
        for lookback in sorted(c.split.lookbacks or (c.split.lookback,)):
            offered = both and self.skip_rule(lookback)
            skips = [kind == "segment" and self.skip_rule(lookback)]
            if offered:  # both ways the first time, then the winner
                skips = [False, True] if decided is None else [decided]
            for skip in skips:
                t = self.trial(NetworkSpec(kind, lookback, skip), c.selection.lookback_trial_epochs)
                losses[skip and both][lookback] = t.loss
                trials.append(t)
                log.info("lookback %d%s: validation error %.4g", lookback,
                         " with repeat_skip" if skip else "", t.loss)  # fmt: skip
            if offered and decided is None:
                here = [t for t in trials if t.spec.lookback == lookback]
                decided = min(here, key=lambda t: t.loss).spec.repeat_skip
        best = self.chosen(trials)
        fit = NetworkFit(
            best.spec,
            best.checkpoint,
            ((best.spec.lookback, best.histories),),
            best.loss,
            lookback_losses=losses[False],
            skip_losses=losses[True],
        )
        trial = c.selection.lookback_trial_epochs
        if trial is None:
            skip = best.spec.repeat_skip
            return self.lookback_mean(fit, [t for t in trials if t.spec.repeat_skip == skip])
        if trial < c.training.epochs:
            begun = time.perf_counter()
            fit = self.continue_training(fit, trial)
            per_step = (time.perf_counter() - begun) / fit.spec.lookback
            return self.grow(fit, trials, trial, per_step, started)
        return fit

    def chosen(self, trials: list[_Trial]) -> _Trial:
        """The trial of the lowest validation error, or with ``lookback_rule="one_se"`` the
        shortest lookback within one standard error of it (the same repeat skip as the
        lowest where both were tried)."""
        best = min(trials, key=lambda t: t.loss)
        if self.config.selection.lookback_rule == "lowest":
            return best
        near = [
            t
            for t in trials
            if t.loss <= best.loss + best.se and t.spec.repeat_skip == best.spec.repeat_skip
        ]
        pick = min(near, key=lambda t: (t.spec.lookback, t.loss))
        if pick is not best:
            log.info("lookback %d: within one standard error (%.3g) of lookback %d's %.4g",
                     pick.spec.lookback, best.se, best.spec.lookback, best.loss)  # fmt: skip
        return pick

    def grow(
        self, fit: NetworkFit, trials: list[_Trial], done: int, per_step: float, started: float
    ) -> NetworkFit:
        """Within ``time_budget`` seconds of training (counted from ``started``, when this
        kind's training began): the other lookbacks' trials train on, the lowest validation
        error first, each where the time it is expected to take (``per_step`` seconds per
        lookback step, as the best's training took) still fits, and each joins the mean when
        the mean's validation error falls (greedy, as the selection's combinations grow;
        N-BEATS ensembles over lookbacks). Segment models whose lookbacks cut into the same
        segments, with the same repeat skip, only."""
        c, period, budget = self.config, self.prepared.period, self.config.selection.time_budget
        segment = c.segment_length(fit.spec.lookback, period)
        others = sorted(
            (
                t
                for t in trials
                if t.spec.lookback != fit.spec.lookback
                and t.spec.repeat_skip == fit.spec.repeat_skip
                and c.segment_length(t.spec.lookback, period) == segment
            ),
            key=lambda t: t.loss,
        )
        if budget is None or fit.spec.model != "segment" or not others:
            return fit
        kept = [(fit.spec.lookback, _members(fit.checkpoint.model), fit.groups[0][1])]
        error = best = fit.validation_loss if fit.validation_loss is not None else float("inf")
        lowest = float("inf")  # the lowest error of a mean tried
        for t in others:
            if time.perf_counter() - started + per_step * t.spec.lookback > budget:
                log.info("time budget: no time for lookback %d", t.spec.lookback)
                continue  # a shorter one may still fit
            more = self.continue_training(
                NetworkFit(t.spec, t.checkpoint, ((t.spec.lookback, t.histories),)), done
            )
            tried = [*kept, (t.spec.lookback, _members(more.checkpoint.model), more.groups[0][1])]
            _, val = datasets(self.prepared, c, max(lb for lb, _, _ in tried))
            assert val is not None  # lookbacks are only tried with validation rows
            mean = self.evaluate(self.lookback_ensemble(fit.spec, [g[:2] for g in tried]), val)
            log.info("lookback %d joins the mean: %s (%.4g against %.4g)", t.spec.lookback,
                     "yes" if mean < error else "no", mean, error)  # fmt: skip
            lowest = min(lowest, mean)
            if mean < error:
                kept, error = tried, mean
        if lowest < float("inf"):
            choice = {"lookback": fit.spec.lookback, "best": best, "mean": lowest}
            fit = replace(fit, lookback_choice=choice)
        return fit if len(kept) == 1 else self.as_mean(fit, kept, error)

    def as_mean(
        self,
        fit: NetworkFit,
        groups: list[tuple[int, list[nn.Module], tuple[History, ...]]],
        error: float,
    ) -> NetworkFit:
        """``fit`` replaced by the mean over the lookback ``groups`` (lookback, members, their
        histories), which reads windows of the longest and scored ``error`` on validation."""
        model = self.lookback_ensemble(fit.spec, [(lb, members) for lb, members, _ in groups])
        return replace(
            fit,
            spec=replace(fit.spec, lookback=max(lb for lb, _, _ in groups)),
            checkpoint=replace(fit.checkpoint, model=model),
            groups=tuple((lb, histories) for lb, _, histories in groups),
            validation_loss=error,
        )

    def continue_training(self, fit: NetworkFit, done: int) -> NetworkFit:
        """Train the chosen lookback's members on from their trial epochs to the end (early
        stopping as usual); their histories cover both stretches."""
        c, lookback = self.config, fit.spec.lookback
        train, val = datasets(self.prepared, c, lookback)
        histories = []
        for k, (member, before) in enumerate(
            zip(_members(fit.checkpoint.model), fit.groups[0][1], strict=True)
        ):
            set_seed(c.training.seed + k + 1000)
            total, trial = c.training.max_steps, self.steps(done)
            tc = replace(
                c.train_config(c.training.seed + k + 1000, True),
                epochs=c.training.epochs - done,
                max_steps=None if total is None or trial is None else max(total - trial, 1),
            )
            after = Trainer(tc).fit(member, train, val)
            histories.append(before.then(after))
        loss = self.evaluate(fit.checkpoint.model, val) if val is not None else fit.validation_loss
        checkpoint = replace(fit.checkpoint, history=histories[0])
        return replace(
            fit, checkpoint=checkpoint, groups=((lookback, tuple(histories)),), validation_loss=loss
        )

    def lookback_mean(self, fit: NetworkFit, trials: list[_Trial]) -> NetworkFit:
        """Segment models: the mean of the models of every lookback replaces the best single
        one when it scores lower on the same validation windows (those of the longest)."""
        c, period = self.config, self.prepared.period
        lookbacks = [t.spec.lookback for t in trials]
        segments = {c.segment_length(lb, period) for lb in lookbacks}
        if fit.spec.model != "segment" or len(segments) != 1:
            return fit
        longest = max(lookbacks)
        _, val = datasets(self.prepared, c, longest)
        if val is None:
            return fit
        groups = [(t.spec.lookback, _members(t.checkpoint.model)) for t in trials]
        best = [g for g in groups if g[0] == fit.spec.lookback]
        scores = {
            name: self.evaluate(self.lookback_ensemble(fit.spec, g), val)
            for name, g in (("best", best), ("mean", groups))
        }
        log.info("lookbacks: best alone %.4g, mean of all %.4g", scores["best"], scores["mean"])
        fit = replace(fit, lookback_choice={"lookback": fit.spec.lookback, **scores})
        if not scores["mean"] < scores["best"]:
            return fit
        every = [(t.spec.lookback, _members(t.checkpoint.model), t.histories) for t in trials]
        return self.as_mean(fit, every, scores["mean"])

    def refit(self, fit: NetworkFit) -> NetworkFit:
        """Retrain the chosen network on the training and validation rows, each member for
        as many epochs as early stopping kept on validation (each lookback group on its own
        windows)."""
        if not self.prepared.has_validation_rows(self.config.split.horizon):
            return fit
        groups, all_epochs = [], []
        for lookback, histories in fit.groups:
            train, _ = datasets(self.prepared, self.config, lookback, refit=True)
            epochs = [h.kept_epochs for h in histories]
            members, _ = self.members(fit.spec, lookback, train, None, epochs)
            groups.append((lookback, members))
            all_epochs.extend(epochs)
        model = (
            self.lookback_ensemble(fit.spec, groups)
            if len(groups) > 1
            else self.combined(fit.spec, groups[0][1])
        )
        checkpoint = replace(fit.checkpoint, model=model)
        return replace(fit, checkpoint=checkpoint, refit_epochs=tuple(all_epochs))


def train_network(prepared: Prepared, config: ForecastConfig, kind: Kind) -> NetworkFit:
    """Train the network of ``kind`` on the prepared series (see :class:`NetworkFit`)."""
    return _Networks(prepared, config).fit(kind)


def refit_network(prepared: Prepared, config: ForecastConfig, fit: NetworkFit) -> NetworkFit:
    """``fit``'s network retrained on training and validation rows (unchanged without
    validation rows; ``refit_epochs`` says whether it was)."""
    return _Networks(prepared, config).refit(fit)


def _filled(model: Ensemble, trained: list[nn.Module]) -> Ensemble:
    """``model`` with the weights of the ``trained`` networks, member by member."""
    for slot, member in zip(model.members, trained, strict=True):
        slot.load_state_dict(member.state_dict())
    return model


def _mean_and_se(errors: F64 | None) -> tuple[float, float]:
    """The mean of the validation windows' errors and its standard error (NaN and 0 without
    windows; 0 with one)."""
    if errors is None or not len(errors):
        return float("nan"), 0.0
    se = float(errors.std(ddof=1) / np.sqrt(len(errors))) if len(errors) > 1 else 0.0
    return float(errors.mean()), se


def _members(model: nn.Module) -> list[nn.Module]:
    return list(model.members) if isinstance(model, Ensemble) else [model]
