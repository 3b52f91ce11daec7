"""What a checkpoint folder holds, read and checked before anything is built: the names of
its two files, ``checkpoint.json``'s format and field types, the tensor shapes in the
safetensors header, how new a complete copy is (to pick among the copies a crash left), and
a one-line account of shapes that do not match."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from seqlab._version import __version__
from seqlab.errors import CheckpointError

__all__ = [
    "FORMAT_VERSION",
    "META_FILE",
    "WEIGHTS_FILE",
    "newness",
    "read_meta",
    "safetensors_header",
    "shape_diff",
]

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
META_FILE = "checkpoint.json"


def read_meta(path: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint's JSON (format and version), without the weights."""
    path = Path(path)
    meta_path = path / META_FILE
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path}")
    if not meta_path.is_file():
        raise CheckpointError(f"{path} is not a seqlab checkpoint (no {META_FILE} inside)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{meta_path} is corrupt (not valid JSON: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != "seqlab-checkpoint":
        raise CheckpointError(f"{meta_path} is not a seqlab checkpoint description")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{path} has an invalid checkpoint format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {version!r}, newer than this seqlab "
            f"({__version__}) reads (<= {FORMAT_VERSION}); upgrade seqlab"
        )
    for key, kind in _FIELDS.items():
        if meta.get(key) is not None and not isinstance(meta[key], kind):
            raise CheckpointError(
                f"{meta_path}: `{key}` must be a JSON {_JSON_NAMES[kind]}, got {meta[key]!r:.80}"
            )
    return meta


# The top-level fields of checkpoint.json and their JSON types (null allowed but for model).
_FIELDS: dict[str, type] = {
    "model": dict,
    "train_config": dict,
    "scalers": dict,
    "data": dict,
    "history": dict,
    "weights": dict,
}
_JSON_NAMES: dict[type, str] = {dict: "object", list: "array", str: "string"}


def safetensors_header(blob: bytes, where: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Tensor name -> (dtype, shape) from a safetensors header, read without any tensor."""
    try:
        n = int.from_bytes(blob[:8], "little")
        if len(blob) < 8 or n > len(blob) - 8:
            raise ValueError("the header is longer than the file")
        header = json.loads(blob[8 : 8 + n])
        return {
            name: (str(entry["dtype"]), tuple(int(d) for d in entry["shape"]))
            for name, entry in header.items()
            if name != "__metadata__"
        }
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{where} is not a valid safetensors file: {exc}") from None


def newness(path: Path) -> tuple[int, str] | None:
    """How new a complete, hash-verified checkpoint is (epochs trained, time written), or
    None when ``path`` is not one (used to pick among copies a crash left)."""
    try:
        meta = read_meta(path)
        digest = hashlib.sha256((path / WEIGHTS_FILE).read_bytes()).hexdigest()
    except (CheckpointError, OSError):
        return None
    if digest != (meta.get("weights") or {}).get("sha256"):
        return None
    history = meta.get("history") or {}
    return len(history.get("epochs") or []), str(meta.get("created", ""))


def shape_diff(expected: dict[str, tuple[int, ...]], got: dict[str, tuple[int, ...]]) -> str:
    """What differs between a model's parameter shapes and saved ones, in one line."""
    parts = []
    for label, names in (
        ("missing", expected.keys() - got.keys()),
        ("unexpected", got.keys() - expected.keys()),
    ):
        if names:
            parts.append(f"{label} {len(names)} tensor(s) ({', '.join(sorted(names)[:3])}…)")
    shapes = [
        f"{k} {got[k]} vs {expected[k]}"
        for k in sorted(expected.keys() & got.keys())
        if got[k] != expected[k]
    ]
    if shapes:
        parts.append(f"{len(shapes)} shape mismatch(es) (saved vs config: {shapes[0]}…)")
    return "; ".join(parts) or "tensors differ"
