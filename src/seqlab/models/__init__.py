"""Recurrent models: one backbone, interchangeable heads."""

from seqlab.models.backbone import RecurrentBackbone
from seqlab.models.ensemble import Ensemble, EnsembleConfig
from seqlab.models.heads import LastStepHead, PerStepHead
from seqlab.models.segment import SegmentConfig, SegmentRNN
from seqlab.models.seq2seq import Decoder, ScheduledSampling, Seq2Seq
from seqlab.models.sequence import SequenceModel
from seqlab.models.state import State, detach_state

__all__ = [
    "Decoder",
    "Ensemble",
    "EnsembleConfig",
    "LastStepHead",
    "PerStepHead",
    "RecurrentBackbone",
    "ScheduledSampling",
    "SegmentConfig",
    "SegmentRNN",
    "Seq2Seq",
    "SequenceModel",
    "State",
    "detach_state",
]
