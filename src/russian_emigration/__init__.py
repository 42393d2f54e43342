"""russian_emigration: the sourced data package on Russian emigration after February 2022, and the
helpers the notebooks share.

>>> from russian_emigration import load_dataset
>>> ds = load_dataset()
>>> ds.vote_abroad_stations.shape[0]
62
"""

from russian_emigration.dataset import Dataset, data_dir
from russian_emigration.errors import DatasetError, Problem
from russian_emigration.loader import load_dataset

__version__ = "0.1.0"
__all__ = ["Dataset", "DatasetError", "Problem", "data_dir", "load_dataset", "__version__"]
