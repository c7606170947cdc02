"""Write the imported catalogue as a flat SQLite file for Datasette, with FTS5.

    .venv/bin/python bench/to_datasette.py OUT.db OUT-metadata.json
        (env DATABASE_URL as for the app)

One row per listing in a `schemes` table, from the same database the app
serves and through the app's own `search.document()`, so both sides search
the same words: name, provider, summary, description and labels (the labels
of the vocabulary terms the listing's rules accept, e.g. "Physiotherapist").
`schemes_fts` is an external-content FTS5 table over them (porter stemming,
like the app's StemmingAnalyzer). Each facet is a JSON array column with the
app's own facet values, so the filters are the same filters.

The metadata file declares two canned queries, ranked by bm25 with the app's
field weights: `search` (words plus filters) and `browse` (filters only,
sorted by name), each returning one page of 10.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import facets, search  # noqa: E402
from directory.config import Settings  # noqa: E402
from directory.service import Directory  # noqa: E402

# name, provider, summary, description, and the labels of what the listing's rules accept
TEXT_COLUMNS = [*search.TEXT_FIELDS, "labels"]
WEIGHTS = ", ".join(str(w) for w in [*search.TEXT_FIELDS.values(), search.LABELS_BOOST])
FACETS = [facet.id for facet in facets.FACETS]  # the app's facets, in its order


def filter_sql(alias: str) -> str:
    """Each facet filter: empty means any; otherwise a JSON array of values, ORed."""
    return "\n  ".join(
        f"and (:{f} = '' or exists (select 1 from json_each({alias}.{f}) a "
        f"join json_each(:{f}) b on a.value = b.value))"
        for f in FACETS
    )


SEARCH_SQL = f"""select s.id, s.name, s.provider, s.summary
from schemes_fts join schemes s on s.rowid = schemes_fts.rowid
where schemes_fts match :q
  {filter_sql("s")}
order by case when :by_name = '1' then s.name end, bm25(schemes_fts, {WEIGHTS})
limit 10 offset cast(:offset as integer)"""

BROWSE_SQL = f"""select s.id, s.name, s.provider, s.summary
from schemes s
where 1
  {filter_sql("s")}
order by s.name
limit 10 offset cast(:offset as integer)"""


def main() -> None:
    out, metadata_path = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    settings = Settings.from_env()
    directory = Directory(settings.database_url, settings.data_dir)
    catalogue, _ = directory.snapshot()
    out.unlink(missing_ok=True)
    db = sqlite3.connect(out)
    columns = ["id", *TEXT_COLUMNS, *FACETS]
    definitions = ["id text not null unique", *[f"{c} text" for c in columns[1:]]]
    db.execute(f"create table schemes ({', '.join(definitions)})")  # keyed by its rowid
    rows = []
    for number, scheme in enumerate(sorted(catalogue.schemes.values(), key=lambda s: s.id), 1):
        doc = search.document(scheme, catalogue)
        rows.append(
            (
                number,
                doc["id"],
                *[doc[c] for c in TEXT_COLUMNS],
                *[json.dumps(doc[f].split(",") if doc[f] else []) for f in FACETS],
            )
        )
    marks = ", ".join("?" * (2 + len(TEXT_COLUMNS) + len(FACETS)))
    db.executemany(f"insert into schemes (rowid, {', '.join(columns)}) values ({marks})", rows)
    db.execute(
        f"create virtual table schemes_fts using fts5({', '.join(TEXT_COLUMNS)}, "
        'content="schemes", content_rowid="rowid", tokenize="porter unicode61")'
    )
    db.execute("insert into schemes_fts(schemes_fts) values('rebuild')")
    db.execute("create index schemes_name on schemes(name)")
    db.commit()
    db.execute("vacuum")
    db.close()
    directory.close()
    metadata = {
        "databases": {
            "catalogue": {
                "queries": {
                    "search": {"sql": SEARCH_SQL, "title": "Ranked search with filters"},
                    "browse": {"sql": BROWSE_SQL, "title": "Filters only, by name"},
                }
            }
        }
    }
    metadata_path.write_text(json.dumps(metadata, indent=2))
    print(f"wrote {out}: {len(rows)} rows in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
