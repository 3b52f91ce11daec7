"""A whole ``seqlab train`` run: :class:`RunConfig` (the TOML file's sections [data],
[model], [train], [output]) and its loaders, which reject unknown sections and keys with the
closest valid one."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seqlab.config import DataConfig, ModelConfig, Seq2SeqConfig, TrainConfig, config_from_dict
from seqlab.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["RunConfig", "load_run_config", "read_toml_file", "run_config_from_dict"]


@dataclass(frozen=True)
class RunConfig:
    """A whole ``seqlab train`` run: the TOML file's four sections."""

    data: DataConfig
    model: ModelConfig | Seq2SeqConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    run_dir: str = "runs/model"

    def to_dict(self) -> dict[str, Any]:
        kind = "seq2seq" if isinstance(self.model, Seq2SeqConfig) else "sequence"
        return {
            "data": asdict(self.data),
            "model": {"kind": kind, **asdict(self.model)},
            "train": asdict(self.train),
            "output": {"run_dir": self.run_dir},
        }


def read_toml_file(path: str | Path) -> dict[str, Any]:
    """A TOML file's tables; a ConfigError when it is missing or not TOML."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def load_run_config(path: str | Path) -> RunConfig:
    """Read a ``seqlab train`` TOML file with sections [data], [model], [train], [output]."""
    return run_config_from_dict(read_toml_file(path), str(path))


def run_config_from_dict(raw: Mapping[str, Any], where: str = "the run config") -> RunConfig:
    """Build a RunConfig from its TOML/JSON form (sections data, model, train, output)."""
    sections = ("data", "model", "train", "output")
    for key in raw:
        if key not in sections:
            close = difflib.get_close_matches(key, sections, n=1)
            hint = f"; did you mean [{close[0]}]?" if close else ""
            raise ConfigError(f"unknown section [{key}] in {where}{hint}")
    if "data" not in raw:
        raise ConfigError(f"{where} has no [data] section")
    output = raw.get("output", {})
    if not isinstance(output, Mapping) or set(output) - {"run_dir"}:
        close = difflib.get_close_matches(
            next(iter(set(output) - {"run_dir"}), ""), ["run_dir"], n=1
        )
        hint = "; did you mean `run_dir`?" if close else ""
        raise ConfigError(f"[output] in {where} takes only `run_dir`, got {dict(output)!r}{hint}")
    model_raw = dict(raw.get("model", {}))
    kind = model_raw.pop("kind", "sequence")
    if kind not in ("sequence", "seq2seq"):
        raise ConfigError(f"[model] `kind` must be 'sequence' or 'seq2seq', got {kind!r}")
    model_cls: type[ModelConfig | Seq2SeqConfig] = (
        ModelConfig if kind == "sequence" else Seq2SeqConfig
    )
    return RunConfig(
        data=config_from_dict(DataConfig, raw["data"], "data"),
        model=config_from_dict(model_cls, model_raw, "model"),
        train=config_from_dict(TrainConfig, raw.get("train", {}), "train"),
        run_dir=str(output.get("run_dir", "runs/model")),
    )
