"""Features as in the ICT4S'22 study: tf-idf over lower-cased, punctuation-free, stemmed,
stop-word-free tokens, plus the message length (characters) as one more column.

Tokenising and stemming take seconds, so the matrix is computed once per dataset content and
settings and cached on disk under a key that hashes both (``$HARNESS_CACHE_DIR``, default
``~/.cache/harness``). A cache that cannot be read or written is skipped, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn

from harness.data.datasets import Dataset
from harness.environment import cache_dir
from harness.errors import DatasetError
from harness.data.stopwords import ENGLISH

FEATURES_VERSION = 1  # bump when the extraction below changes what it produces
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


@dataclass(frozen=True)
class FeatureMatrix:
    X: sp.csr_matrix | np.ndarray  # float64, one row per dataset row
    y: np.ndarray
    cache_key: str
    from_cache: bool

    @property
    def n_features(self) -> int:
        return self.X.shape[1]


def make_analyzer(stem: bool = True, stop_words: bool = True):
    """Text -> tokens, in the paper's order: strip punctuation, split on white space, stem
    (the Snowball stemmer lower-cases), then drop stop words."""
    if stem:
        from nltk.stem.snowball import SnowballStemmer  # no corpus download needed

        stemmer = SnowballStemmer("english")
        normalise = lru_cache(maxsize=None)(stemmer.stem)
    else:
        normalise = str.lower
    stop = ENGLISH if stop_words else frozenset()

    def analyze(text: str) -> list[str]:
        tokens = (normalise(w) for w in text.translate(_NO_PUNCTUATION).split())
        return [t for t in tokens if t.lower() not in stop]

    return analyze


def cache_key(ds: Dataset, text_options) -> str:
    import nltk

    facts = {
        "version": FEATURES_VERSION,
        "dataset_sha256": ds.sha256,
        "text": text_options.model_dump() if ds.texts is not None else None,
        "columns": list(ds.column_names),
        "source": list(ds.source),
        "sklearn": sklearn.__version__,
        "nltk": nltk.__version__,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:32]


def compute_features(ds: Dataset, text_options) -> sp.csr_matrix | np.ndarray:
    """The feature matrix of ``ds`` (no cache). Sparse when the dataset has text."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    blocks = []
    if ds.texts is not None:
        vectorizer = TfidfVectorizer(analyzer=make_analyzer(text_options.stem, text_options.stop_words))
        try:
            blocks.append(vectorizer.fit_transform(ds.texts))
        except ValueError as e:  # e.g. every text is empty, punctuation or stop words
            raise DatasetError(f"{ds.path}: no features can be made from the text column ({e})") from None
        if text_options.length_feature:
            blocks.append(sp.csr_matrix(np.array([len(t) for t in ds.texts], dtype=np.float64)[:, None]))
    if ds.columns is not None:
        if not blocks:
            return ds.columns
        blocks.append(sp.csr_matrix(ds.columns))
    return sp.hstack(blocks, format="csr", dtype=np.float64)


def _load(path: Path, n_rows: int):
    with np.load(path, allow_pickle=False) as z:
        if z["kind"].item() == "dense":
            X = z["data"]
        else:
            X = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    if X.shape[0] != n_rows:
        raise ValueError("row count differs")
    return X


def _save(path: Path, X) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        if sp.issparse(X):
            np.savez(f, kind="sparse", data=X.data, indices=X.indices, indptr=X.indptr, shape=np.array(X.shape))
        else:
            np.savez(f, kind="dense", data=X)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def build_features(ds: Dataset, text_options, use_cache: bool = True, save: bool = True) -> FeatureMatrix:
    """Features of ``ds``, from the cache when its key matches, else computed (and cached unless
    ``save`` is False: a dry run writes nothing)."""
    key = cache_key(ds, text_options)
    path = cache_dir() / f"features-{key}.npz"
    if use_cache and path.is_file():
        try:
            return FeatureMatrix(_load(path, ds.n_rows), ds.y, key, True)
        except Exception:  # noqa: BLE001 - empty, truncated, foreign or stale: never trusted, recomputed
            pass
    X = compute_features(ds, text_options)
    if use_cache and save:
        try:
            _save(path, X)
        except OSError:
            pass  # a read-only home is no reason to fail a run
    return FeatureMatrix(X, ds.y, key, False)
