"""Recurrent models: one backbone, interchangeable heads."""

from typing import TYPE_CHECKING

from seqlab._lazy import lazy_attributes

if TYPE_CHECKING:
    from seqlab.models.backbone import RecurrentBackbone
    from seqlab.models.ensemble import Ensemble, EnsembleConfig
    from seqlab.models.heads import LastStepHead, PerStepHead
    from seqlab.models.segment import SegmentConfig, SegmentRNN
    from seqlab.models.seq2seq import Decoder, Seq2Seq
    from seqlab.models.sequence import SequenceModel
    from seqlab.models.state import State, detach_state

__all__ = [
    "Decoder",
    "Ensemble",
    "EnsembleConfig",
    "LastStepHead",
    "PerStepHead",
    "RecurrentBackbone",
    "SegmentConfig",
    "SegmentRNN",
    "Seq2Seq",
    "SequenceModel",
    "State",
    "detach_state",
]

# Imported on first use, so that importing a sibling module does not import them all.
__getattr__ = lazy_attributes(
    __name__,
    {
        "RecurrentBackbone": "seqlab.models.backbone",
        "Ensemble": "seqlab.models.ensemble",
        "EnsembleConfig": "seqlab.models.ensemble",
        "LastStepHead": "seqlab.models.heads",
        "PerStepHead": "seqlab.models.heads",
        "SegmentConfig": "seqlab.models.segment",
        "SegmentRNN": "seqlab.models.segment",
        "Decoder": "seqlab.models.seq2seq",
        "Seq2Seq": "seqlab.models.seq2seq",
        "SequenceModel": "seqlab.models.sequence",
        "State": "seqlab.models.state",
        "detach_state": "seqlab.models.state",
    },
)
