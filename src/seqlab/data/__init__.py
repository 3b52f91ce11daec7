"""Data: tensors and batches, scalers, built-in tasks, CSV sequences."""

from typing import TYPE_CHECKING

from seqlab._lazy import lazy_attributes

if TYPE_CHECKING:
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

# Imported on first use, so that importing a sibling module does not import them all.
__getattr__ = lazy_attributes(
    __name__,
    {
        "Batch": "seqlab.data.batches",
        "SequenceData": "seqlab.data.batches",
        "stream_batches": "seqlab.data.batches",
        "MinMaxScaler": "seqlab.data.scaling",
        "Scaler": "seqlab.data.scaling",
        "StandardScaler": "seqlab.data.scaling",
        "scaler_from_dict": "seqlab.data.scaling",
    },
)
