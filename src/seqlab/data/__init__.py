"""Data: tensors and batches, scalers, built-in tasks, CSV sequences."""

from seqlab.data.batches import Batch, SequenceData, stream_batches
from seqlab.data.scaling import MinMaxScaler, Scaler, StandardScaler, scaler_from_dict

__all__ = [
    "Batch",
    "MinMaxScaler",
    "Scaler",
    "SequenceData",
    "StandardScaler",
    "scaler_from_dict",
    "stream_batches",
]
