"""Recurrent models: one backbone, interchangeable heads."""

from seqlab.models.backbone import RecurrentBackbone
from seqlab.models.heads import LastStepHead, PerStepHead
from seqlab.models.sequence import SequenceModel
from seqlab.models.state import State, detach_state

__all__ = [
    "LastStepHead",
    "PerStepHead",
    "RecurrentBackbone",
    "SequenceModel",
    "State",
    "detach_state",
]
