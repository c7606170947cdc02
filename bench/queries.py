"""The benchmark's query mix: realistic searches with filters, always the same.

    .venv/bin/python bench/queries.py --out bench/results/urls   (writes the URL lists)

`QUERIES` holds more than 100 distinct searches: words people type ("physio
leadership", "SALT mentor"), typos, empty text with facet filters, membership,
region and mentoring-type filters, page 2 and sort by name. The mix is built
with a seeded random.Random, so every run sends the same requests in the same
order. Each query becomes a URL for the search page, the search API and the
two Datasette comparisons (see to_datasette.py), with the same words and the
same filters.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import facets  # noqa: E402

FACET_IDS = tuple(facet.id for facet in facets.FACETS)  # the app's facets, in its order


@dataclass(frozen=True)
class Search:
    kind: str  # text | typo | filters | text+filters | page2 | sort-name | none
    text: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    page: int = 1
    sort: str = "relevance"

    @property
    def filter_dict(self) -> dict[str, list[str]]:
        return {facet: list(values) for facet, values in self.filters}

    def params(self) -> list[tuple[str, str]]:
        """The app's query string, as the search form writes it."""
        params = [("q", self.text)] if self.text else []
        params += [(facet, value) for facet, values in self.filters for value in values]
        if self.sort != "relevance":
            params.append(("sort", self.sort))
        if self.page > 1:
            params.append(("page", str(self.page)))
        return params


TEXTS = [
    "physio leadership",
    "SALT mentor",
    "radiography students",
    "occupational therapy research",
    "OT leadership",
    "paramedic",
    "dietitian peer support",
    "podiatry",
    "speech and language therapy students",
    "clinical academic",
    "return to practice",
    "preceptorship",
    "NIHR",
    "research mentoring",
    "leadership",
    "peer mentoring",
    "reverse mentoring",
    "first contact practitioner",
    "MSK",
    "stroke rehabilitation",
    "cancer care radiographer",
    "music therapy",
    "art therapist",
    "drama therapy",
    "orthoptics",
    "osteopathy",
    "prosthetics",
    "P&O",
    "ODP theatres",
    "student buddy",
    "practice placement",
    "advanced practice physiotherapist",
    "consultant pathway",
    "digital health",
    "quality improvement",
    "wellbeing",
    "inclusion",
    "international recruits",
    "rural practice",
    "paediatrics SALT",
    "mental health OT",
    "learning disability",
    "older people",
    "community practice",
    "public health dietitian",
    "mentor match",
    "mentoring circle",
    "CSP",
    "RCOT",
    "Society of Radiographers",
    "Kingsmere",
    "Northfield physiotherapy",
    "group mentoring students",
    "cross-disciplinary",
    "newly qualified",
    "career development",
    "entrepreneurship",
    "critical care physio",
    "mentoring for newly qualified physiotherapists",
    "research leadership for allied health professionals",
]
TYPOS = [
    "physiotheraphy leadrship",
    "radiograpy",
    "dietician",
    "ocupational therapy",
    "speach therapy",
    "paramedik students",
    "mentorship reserch",
    "podiatory",
    "xylophone",
    "leedership mentoring",
]
FILTER_SETS = [
    {"profession": ["physiotherapist"]},
    {"profession": ["radiographer"]},
    {"profession": ["speech-and-language-therapist"]},
    {"profession": ["occupational-therapist"], "stage": ["student"]},
    {"profession": ["paramedic"], "member_of": ["none-needed"]},
    {"member_of": ["csp"]},
    {"member_of": ["nihr-academy"]},
    {"region": ["london"]},
    {"region": ["scotland"]},
    {"region": ["north-west", "yorkshire-humber"]},
    {"mentoring_type": ["peer"]},
    {"mentoring_type": ["reverse", "group"]},
    {"access": ["open"]},
    {"stage": ["student"]},
    {"listing_type": ["network"]},
    {"provider_kind": ["employer"]},
    {"role": ["mentor"]},
    {"profession": ["dietitian"], "region": ["wales"]},
    {"profession": ["physiotherapist"], "member_of": ["csp"], "mentoring_type": ["traditional"]},
    {"access": ["members-only"], "provider_kind": ["professional-body"]},
    {"stage": ["qualified"], "region": ["south-east"], "listing_type": ["scheme"]},
    {"profession": ["podiatrist", "orthoptist"]},
    {"mentoring_type": ["targeted"], "access": ["by-application"]},
    {"role": ["mentee"], "stage": ["student"], "profession": ["radiographer"]},
    {"region": ["not-stated"], "mentoring_type": ["not-stated"]},
]


def _frozen(filters: dict[str, list[str]]) -> tuple:
    return tuple((f, tuple(filters[f])) for f in FACET_IDS if f in filters)


def build() -> list[Search]:
    rng = random.Random(4)
    queries = [Search("none")]
    queries += [Search("text", t) for t in TEXTS]
    queries += [Search("typo", t) for t in TYPOS]
    queries += [Search("filters", "", _frozen(f)) for f in FILTER_SETS]
    for text in rng.sample(TEXTS, 25):
        queries.append(Search("text+filters", text, _frozen(rng.choice(FILTER_SETS))))
    for text in rng.sample(TEXTS, 8):
        queries.append(Search("page2", text, page=2))
    for filters in rng.sample(FILTER_SETS, 4):
        queries.append(Search("page2", "", _frozen(filters), page=2))
    for text in rng.sample(TEXTS, 4):
        queries.append(Search("sort-name", text, sort="name"))
    unique = list(dict.fromkeys(queries))
    rng.shuffle(unique)  # interleave kinds so every slice of a run sees the whole mix
    return unique


QUERIES = build()


def app_url(path: str, query: Search) -> str:
    params = query.params()
    return path + ("?" + urlencode(params) if params else "")


def fts_query(text: str, vocabulary) -> str:
    """The words as an FTS5 query with the synonyms the app's search knows.

    A vocabulary phrase becomes its label and synonyms ORed as quoted phrases
    ("physio" -> ("physio" OR "physiotherapist" OR ...)), other words stay
    plain, and the parts are ANDed: what the app matches, written for FTS5.
    """
    from directory.search import SYNONYM_SETS

    words = re.findall(r"[a-z0-9]+", text.lower())
    parts, i = [], 0
    while i < len(words):
        for size in range(min(4, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            matches = [m for m in vocabulary.synonyms.get(phrase, ()) if m[0] in SYNONYM_SETS]
            if matches:
                options = {phrase}
                for set_name, slug in matches:
                    term = vocabulary.term(set_name, slug)
                    options |= {
                        " ".join(re.findall(r"[a-z0-9]+", w.lower()))
                        for w in (term.label, *term.synonyms)
                    }
                parts.append("(" + " OR ".join(f'"{o}"' for o in sorted(options) if o) + ")")
                i += size
                break
        else:
            parts.append(f'"{words[i]}"')
            i += 1
    return " AND ".join(parts)


def datasette_table_url(query: Search, vocabulary, facets: bool = False) -> str:
    """The table JSON endpoint: FTS5 filter, the same filters as array columns, the total.

    With `facets`, also the 9 facet counts the app returns (`_facet_array`).
    """
    params = []
    if query.text:
        params += [("_search", fts_query(query.text, vocabulary)), ("_searchmode", "raw")]
    for facet, values in query.filters:
        if len(values) == 1:
            params.append((f"{facet}__arraycontains", values[0]))
        else:  # values within a facet combine with OR, as in the app
            quoted = ", ".join("'" + v + "'" for v in values)
            params.append(
                ("_where", f"exists (select 1 from json_each([{facet}]) where value in ({quoted}))")
            )
    if query.sort == "name" or not query.text:
        params.append(("_sort", "name"))
    if facets:
        params += [("_facet_array", f) for f in FACET_IDS]
    params += [("_size", "10"), ("_nosuggest", "1")]
    # page 2 is reached through Datasette's own `next` token: see resolve_next()
    return "/catalogue/schemes.json?" + urlencode(params)


def datasette_canned_url(query: Search, vocabulary) -> str:
    """A canned ranked query (bm25 with the app's field weights), same filters, one page."""
    name = "search" if query.text else "browse"
    params = [("q", fts_query(query.text, vocabulary))] if query.text else []
    filters = query.filter_dict
    params += [(f, json.dumps(filters[f]) if f in filters else "") for f in FACET_IDS]
    params.append(("offset", str((query.page - 1) * 10)))
    if query.text:
        params.append(("by_name", "1" if query.sort == "name" else ""))
    return f"/catalogue/{name}.json?" + urlencode(params)


def people(vocabulary, count: int = 1000, seed: int = 7) -> list[list[tuple[str, str]]]:
    """Checker answers of `count` made-up people, always the same: a role (mostly mentee),
    a profession, a stage (a study level for students), 0-2 memberships or "none", a
    region, and no institution (left unknown, as many people would)."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        stage = rng.choice(vocabulary.slugs("stages"))
        answers = [
            ("role", "mentor" if rng.random() < 0.2 else "mentee"),
            ("profession", rng.choice(vocabulary.slugs("professions"))),
            ("stage", stage),
        ]
        if stage == "student":
            answers.append(("level", rng.choice(vocabulary.slugs("levels"))))
        memberships = rng.sample(vocabulary.slugs("memberships"), rng.randint(0, 2))
        answers += [("member_of", m) for m in memberships or ["none"]]
        answers.append(("region", rng.choice(vocabulary.slugs("regions"))))
        found.append(answers)
    return found


def write_lists(out: Path) -> None:
    from directory import vocabulary as vocab

    vocabulary = vocab.load(ROOT / "data/vocabulary.yaml")
    out.mkdir(parents=True, exist_ok=True)
    lists = {
        "search-page": [app_url("/search", q) for q in QUERIES],
        "api": [app_url("/api/v1/schemes", q) for q in QUERIES],
        "api-no-filters": ["/api/v1/schemes"],
        "api-filters-only": [app_url("/api/v1/schemes", q) for q in QUERIES if q.kind == "filters"],
        "datasette-table": [datasette_table_url(q, vocabulary) for q in QUERIES],
        "datasette-facets": [datasette_table_url(q, vocabulary, facets=True) for q in QUERIES],
        "datasette-canned": [datasette_canned_url(q, vocabulary) for q in QUERIES],
        "hello": ["/"],
        "eligibility": ["/api/v1/eligibility?" + urlencode(p) for p in people(vocabulary)],
        # So many that a 30 s run rarely meets anyone twice, except where two made-up people
        # answer alike (half of them do: the answers allow only so many combinations).
        "eligibility-many": [
            "/api/v1/eligibility?" + urlencode(p) for p in people(vocabulary, 100_000, seed=8)
        ],
    }
    for name, urls in lists.items():
        (out / f"urls-{name}.txt").write_text("\n".join(urls) + "\n")
    # Which Datasette table URLs need page 2, fetched once the server is up.
    pages = [i for i, q in enumerate(QUERIES) if q.page == 2]
    (out / "datasette-page2.json").write_text(json.dumps(pages))
    (out / "queries.json").write_text(
        json.dumps(
            [
                {
                    "kind": q.kind,
                    "text": q.text,
                    "filters": q.filter_dict,
                    "page": q.page,
                    "sort": q.sort,
                }
                for q in QUERIES
            ],
            indent=1,
        )
    )


def resolve_next(out: Path, base_url: str) -> None:
    """Replace page-1 Datasette table URLs with their page-2 URL (Datasette's `next_url`)."""
    from urllib.request import urlopen

    path = out / "urls-datasette-table.txt"
    urls = path.read_text().splitlines()
    for i in json.loads((out / "datasette-page2.json").read_text()):
        with urlopen(base_url + urls[i]) as response:
            data = json.load(response)
        if data.get("next_url"):
            urls[i] = data["next_url"].removeprefix(base_url.rstrip("/")).split("://", 1)[-1]
            urls[i] = urls[i][urls[i].index("/") :] if not urls[i].startswith("/") else urls[i]
    path.write_text("\n".join(urls) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/urls")
    parser.add_argument("--resolve-next", metavar="BASE_URL", help="Datasette's base URL")
    args = parser.parse_args()
    if args.resolve_next:
        resolve_next(args.out, args.resolve_next)
        return
    write_lists(args.out)
    kinds: dict[str, int] = {}
    for q in QUERIES:
        kinds[q.kind] = kinds.get(q.kind, 0) + 1
    print(f"{len(QUERIES)} distinct queries: {kinds} -> {args.out}")


if __name__ == "__main__":
    main()
