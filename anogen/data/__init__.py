"""Data: loading, validation, splitting, scaling, windowing, embedded data sets."""

from anogen.data.loaders import frame_from_dataframe, load_table
from anogen.data.scaling import Scaler
from anogen.data.sources import CSVSource, DataSource, Occupancy, RealSource, Synthetic
from anogen.data.split import make_folds, segments_of
from anogen.data.synthetic import synthetic_frame

__all__ = ["CSVSource", "DataSource", "Occupancy", "RealSource", "Scaler", "Synthetic", "frame_from_dataframe",
           "load_table", "make_folds", "segments_of", "synthetic_frame"]
