"""seqlab: learning sequences with recurrent networks (LSTM, GRU) on PyTorch."""

from seqlab._seed import set_seed
from seqlab._version import __version__
from seqlab.callbacks import Callback, EarlyStopping, ProgressBar
from seqlab.checkpoint import Checkpoint, Prediction, load, load_checkpoint, save
from seqlab.config import (
    DataConfig,
    ModelConfig,
    RunConfig,
    Seq2SeqConfig,
    TrainConfig,
    load_run_config,
)
from seqlab.data.batches import Batch, SequenceData, stream_batches
from seqlab.data.builtin import load_dataset
from seqlab.data.scaling import MinMaxScaler, StandardScaler
from seqlab.data.sources import Series, load_array, load_csv, load_frame
from seqlab.errors import CheckpointError, ConfigError, DataError, SeqlabError, TrainingDiverged
from seqlab.export import export_onnx
from seqlab.forecasting import ForecastConfig, Forecaster
from seqlab.models.seq2seq import ScheduledSampling, Seq2Seq
from seqlab.models.sequence import SequenceModel
from seqlab.models.state import State, detach_state
from seqlab.streaming import Stream
from seqlab.training import History, Trainer

__all__ = [
    "Batch",
    "Callback",
    "Checkpoint",
    "CheckpointError",
    "ConfigError",
    "DataConfig",
    "DataError",
    "EarlyStopping",
    "ForecastConfig",
    "Forecaster",
    "History",
    "MinMaxScaler",
    "ModelConfig",
    "Prediction",
    "ProgressBar",
    "RunConfig",
    "ScheduledSampling",
    "Seq2Seq",
    "Seq2SeqConfig",
    "SeqlabError",
    "SequenceData",
    "SequenceModel",
    "Series",
    "StandardScaler",
    "State",
    "Stream",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "__version__",
    "detach_state",
    "export_onnx",
    "load",
    "load_array",
    "load_checkpoint",
    "load_csv",
    "load_dataset",
    "load_frame",
    "load_run_config",
    "save",
    "set_seed",
    "stream_batches",
]
