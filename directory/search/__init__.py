"""Full-text search with facets over the catalogue, using Whoosh's public API. No Flask.

words.py  how text becomes words (listings and queries alike), the vocabulary's
          phrases, highlighting
index.py  the index in memory, built from the catalogue and kept at its version
query.py  one snapshot's searches: match, rank, facets, "did you mean", similar
"""

from directory.search.index import SHARED_FIELDS, LiveIndex
from directory.search.query import (
    PAGE_SIZE,
    SORTS,
    Hit,
    Query,
    Results,
    Snapshot,
    similar_by_scan,
    similarity,
)
from directory.search.words import LABELS_BOOST, SYNONYM_SETS, TEXT_FIELDS, document

__all__ = [
    "LABELS_BOOST",
    "PAGE_SIZE",
    "SHARED_FIELDS",
    "SORTS",
    "SYNONYM_SETS",
    "TEXT_FIELDS",
    "Hit",
    "LiveIndex",
    "Query",
    "Results",
    "Snapshot",
    "document",
    "similar_by_scan",
    "similarity",
]
