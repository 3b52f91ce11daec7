"""Built-in data sets, shipped inside the package (see ``seqlab/datasets/SOURCES.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from seqlab.data.sources import Series, load_csv, load_long_csv
from seqlab.errors import DataError

__all__ = ["DATASETS", "Dataset", "dataset_path", "load_dataset"]


@dataclass(frozen=True)
class Dataset:
    name: str
    file: str
    description: str
    source: str
    licence: str
    id_col: str | None = None
    target: tuple[str, ...] | None = None


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "nino_sst",
            "nino_sst.csv",
            "monthly sea-surface temperature (°C) of 4 Niño regions, 1950-2010",
            "NOAA CPC ERSST via statsmodels 0.15.0",
            "public domain (NOAA); statsmodels BSD-3",
        ),
        Dataset(
            "stocks",
            "stocks.csv",
            "monthly prices of AAPL, AMZN, GOOG, IBM, MSFT, 2000-2010 (long format)",
            "vega_datasets 0.9.0",
            "MIT",
            id_col="symbol",
            target=("price",),
        ),
        Dataset(
            "airline",
            "airline_passengers.csv",
            "monthly airline passengers, 1949-1960 (Box & Jenkins G)",
            "sktime 1.2.0",
            "BSD-3",
        ),
        Dataset(
            "etth1",
            "ETTh1.csv",
            "hourly electricity transformer load and oil temperature, 2016-2018",
            "zhouhaoyi/ETDataset (Zhou et al., Informer, AAAI 2021)",
            "CC BY-ND 4.0, shipped unmodified",
        ),
    )
}


def dataset_path(name: str) -> Path:
    """The shipped file of a built-in data set."""
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; built-in data sets: {', '.join(DATASETS)}")
    return Path(str(resources.files("seqlab") / "datasets" / DATASETS[name].file))


def load_dataset(name: str) -> Series | dict[str, Series]:
    """A built-in data set: one Series, or one per id for long-format sets (``stocks``)."""
    d = DATASETS.get(name)
    path = dataset_path(name)
    assert d is not None
    if d.id_col is not None:
        return load_long_csv(path, d.id_col, target=d.target)
    return load_csv(path, target=d.target)
