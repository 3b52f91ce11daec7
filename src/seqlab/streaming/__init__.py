"""Streaming inference: the recurrent state of many named series, carried from call to call
(:class:`Stream`); what each model kind returns (:mod:`.outputs`); the state rows
(:mod:`.table`)."""

from seqlab.streaming.stream import SHORT_CHUNK, SMALL_BATCH, Stream, model_fingerprint

__all__ = ["SHORT_CHUNK", "SMALL_BATCH", "Stream", "model_fingerprint"]
