"""seqlab: learning sequences with recurrent networks (LSTM, GRU) on PyTorch."""

from typing import TYPE_CHECKING

from seqlab._lazy import lazy_attributes
from seqlab._version import __version__
from seqlab.errors import CheckpointError, ConfigError, DataError, SeqlabError, TrainingDiverged

if TYPE_CHECKING:
    from seqlab._seed import set_seed
    from seqlab._threads import set_threads
    from seqlab.callbacks import Callback, EarlyStopping, ProgressBar, ScheduledSampling
    from seqlab.checkpoint import Checkpoint, Prediction, load, load_checkpoint, save
    from seqlab.config import DataConfig, ModelConfig, Seq2SeqConfig, TrainConfig
    from seqlab.data.batches import Batch, SequenceData, stream_batches
    from seqlab.data.builtin import load_dataset
    from seqlab.data.scaling import MinMaxScaler, StandardScaler
    from seqlab.data.sources import Series, load_array, load_csv, load_frame
    from seqlab.export import export_onnx
    from seqlab.forecasting import ForecastConfig, Forecaster
    from seqlab.models.seq2seq import Seq2Seq
    from seqlab.models.sequence import SequenceModel
    from seqlab.models.state import State, detach_state
    from seqlab.run_config import RunConfig, load_run_config
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
    "set_threads",
    "stream_batches",
]

# Everything but the version and the errors is imported on first use (PyTorch is slow
# to import, and `seqlab --help` should not wait for it).
__getattr__ = lazy_attributes(
    __name__,
    {
        "set_seed": "seqlab._seed",
        "set_threads": "seqlab._threads",
        "Callback": "seqlab.callbacks",
        "EarlyStopping": "seqlab.callbacks",
        "ProgressBar": "seqlab.callbacks",
        "Checkpoint": "seqlab.checkpoint",
        "Prediction": "seqlab.checkpoint",
        "load": "seqlab.checkpoint",
        "load_checkpoint": "seqlab.checkpoint",
        "save": "seqlab.checkpoint",
        "DataConfig": "seqlab.config",
        "ModelConfig": "seqlab.config",
        "RunConfig": "seqlab.run_config",
        "Seq2SeqConfig": "seqlab.config",
        "TrainConfig": "seqlab.config",
        "load_run_config": "seqlab.run_config",
        "Batch": "seqlab.data.batches",
        "SequenceData": "seqlab.data.batches",
        "stream_batches": "seqlab.data.batches",
        "load_dataset": "seqlab.data.builtin",
        "MinMaxScaler": "seqlab.data.scaling",
        "StandardScaler": "seqlab.data.scaling",
        "Series": "seqlab.data.sources",
        "load_array": "seqlab.data.sources",
        "load_csv": "seqlab.data.sources",
        "load_frame": "seqlab.data.sources",
        "export_onnx": "seqlab.export",
        "ForecastConfig": "seqlab.forecasting",
        "Forecaster": "seqlab.forecasting",
        "ScheduledSampling": "seqlab.callbacks",
        "Seq2Seq": "seqlab.models.seq2seq",
        "SequenceModel": "seqlab.models.sequence",
        "State": "seqlab.models.state",
        "detach_state": "seqlab.models.state",
        "Stream": "seqlab.streaming",
        "History": "seqlab.training",
        "Trainer": "seqlab.training",
    },
)
