"""Writes the search's parameters into directory/web/openapi.json after a change:

    .venv/bin/python -m directory.web.openapi_file

(its own module, which nothing imports, so running it never runs a module twice).
"""

from __future__ import annotations

import json

from directory import vocabulary as vocab
from directory.config import DEFAULT_DATA_DIR
from directory.vocabulary import Vocabulary
from directory.web.search_params import OPENAPI_FILE, SCHEMES_PATH, openapi_parameters


def write_openapi(vocabulary: Vocabulary) -> None:
    document = json.loads(OPENAPI_FILE.read_text())
    document["paths"][SCHEMES_PATH]["get"]["parameters"] = openapi_parameters(vocabulary)
    OPENAPI_FILE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write_openapi(vocab.load(DEFAULT_DATA_DIR / "vocabulary.yaml"))
