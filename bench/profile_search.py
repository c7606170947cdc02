"""In-process timings and profiles on the imported catalogue: search and eligibility.

    .venv/bin/python bench/profile_search.py OUT_DIR
        (env DATABASE_URL, INSTANCE_PATH as for the app)

No HTTP and no other requests competing, so these are service times, not
queueing. Writes OUT_DIR/inprocess.json (and prints a short version):

  * every query of the mix through `Directory.search()` once (wall clock and
    CPU time: on a shared machine CPU time is the steadier figure), median and
    p90 per kind of query, and the slowest queries split into the phases of
    `Snapshot.run` (plan, matching documents, ranking, facet counts, the
    page) where those methods exist;
  * a cProfile of `Directory.search()` on a few representative queries
    (OUT_DIR/search.prof, for `python -m pstats` or snakeviz; top functions as
    text in the JSON);
  * `/api/v1/schemes` with no parameters, through Flask's test client;
  * for three people (issue #5): `rules.decide_all` over every scheme (every
    decision worded: the reference), `RuleTable.sort` (every listing's status as
    bitmaps: what the checker and the API do before wording one page), "search as
    me" (`Directory.not_ruled_out`), and the eligibility and "search as me" API
    requests, with a profile of decide_all.
"""

from __future__ import annotations

import cProfile
import io
import json
import logging
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from queries import QUERIES, app_url  # noqa: E402

from directory import create_app, rules, search  # noqa: E402

PEOPLE = {
    "qualified physiotherapist, CSP member, London": {
        "profession": ["physiotherapist"],
        "member_of": ["csp"],
        "stage": ["qualified"],
        "region": ["london"],
    },
    "radiography student, level 5, no memberships": {
        "profession": ["radiographer"],
        "stage": ["student"],
        "level": ["5"],
        "member_of": ["none"],
        "institution": ["other"],
    },
    "not sure of anything": {"profession": ["not-sure"], "role": ["not-sure"]},
}
PROFILED = [
    "physio leadership",
    "SALT mentor",
    "radiography students",
    "peer mentoring",
    "physiotheraphy leadrship",
    "",
]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": ms(statistics.median(ordered)),
        "p90_ms": ms(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]),
        "max_ms": ms(ordered[-1]),
        "n": len(ordered),
    }


def top(profile: cProfile.Profile, sort: str, limit: int) -> str:
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).strip_dirs().sort_stats(sort).print_stats(limit)
    lines = stream.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
    return "\n".join(lines[start:])


def phases(index, query: search.Query) -> dict[str, float] | None:
    """Snapshot.run's steps timed one by one, on cold caches (None if the search package
    has changed shape)."""
    from directory.search import query as search_query

    try:
        index._found.clear()
        index._postings.clear()
        clock = [time.perf_counter()]
        plan = index.plan(query.text) if query.text else None
        clock.append(time.perf_counter())
        matched = index._matches(plan) if plan else index.all_bits
        clock.append(time.perf_counter())
        ranking = index._rank(plan, matched) if plan else index.by_name
        clock.append(time.perf_counter())
        selected = {f: index._bits_for(f, v) for f, v in query.filters.items() if v}
        final = matched
        for bits in selected.values():
            final &= bits
        index._facet_counts(matched, selected)
        clock.append(time.perf_counter())
        search_query._page(ranking, final, 0, query.page_size, index.size)
        clock.append(time.perf_counter())
    except AttributeError:
        return None
    names = ("plan", "matching_docs", "ranking", "facet_counts", "page")
    return {name: ms(b - a) for name, a, b in zip(names, clock[:-1], clock[1:], strict=True)}


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    app = create_app({"BUILD_INDEX": True, "AUTO_IMPORT": False, "TESTING": True})
    logging.getLogger().setLevel(logging.WARNING)
    directory = app.extensions["directory"]
    vocabulary = directory.vocabulary
    client = app.test_client()
    report: dict = {}

    def as_query(q) -> search.Query:
        return search.Query(q.text, q.filter_dict, q.sort, q.page)

    directory.search(as_query(QUERIES[0]))  # open the index and its column readers
    per_query, by_kind, cpu_times = [], {}, []
    for q in QUERIES:
        started, cpu = time.perf_counter(), time.process_time()
        results = directory.search(as_query(q))
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        cpu_times.append(cpu)
        per_query.append(
            {
                "kind": q.kind,
                "url": app_url("/api/v1/schemes", q),
                "total": results.total,
                "corrected": results.corrected,
                "ms": ms(took),
                "cpu_ms": ms(cpu),
            }
        )
        by_kind.setdefault(q.kind, []).append(took)
    catalogue, version = directory.snapshot()
    index = directory.index.get(catalogue, version)
    slowest = sorted(per_query, key=lambda p: -p["ms"])[:6]
    for entry in slowest:  # where the time goes, for the slowest (typos take several passes)
        q = next(q for q in QUERIES if app_url("/api/v1/schemes", q) == entry["url"])
        entry["phases_ms_of_one_pass"] = phases(index, as_query(q))
    report["search_in_process"] = {
        "all": summary([p["ms"] / 1000 for p in per_query]),
        "all_cpu": summary(cpu_times),
        "by_kind": {kind: summary(times) for kind, times in sorted(by_kind.items())},
        "slowest": slowest,
    }

    profile = cProfile.Profile()
    profile.enable()
    for text in PROFILED:
        directory.search(search.Query(text))
    profile.disable()
    profile.dump_stats(out / "search.prof")
    report["search_profile"] = {
        "queries": PROFILED,
        "cumulative": top(profile, "cumulative", 45),
        "self": top(profile, "tottime", 25),
    }

    client.get("/api/v1/schemes")
    report["api_no_parameters_in_process"] = summary(
        timed(lambda: client.get("/api/v1/schemes"), 20)
    )
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(10):
        client.get("/api/v1/schemes")
    profile.disable()
    report["api_no_parameters_profile"] = top(profile, "cumulative", 30)

    decide = {}
    everything = list(catalogue.rules.values())
    for name, raw in PEOPLE.items():
        answers = rules.parse_answers(vocabulary, raw)
        times = timed(lambda a=answers: rules.decide_all(vocabulary, a, everything), 10)
        cpu = time.process_time()
        for _ in range(10):
            rules.decide_all(vocabulary, answers, everything)
        cpu = (time.process_time() - cpu) / 10
        decisions = rules.decide_all(vocabulary, answers, everything)
        sorted_out = timed(lambda a=answers: catalogue.rule_table.sort(a), 20)
        kept = timed(lambda a=answers: directory.not_ruled_out(a, catalogue), 10)
        url = "/api/v1/schemes?" + urlencode([("my_" + k, v) for k, vs in raw.items() for v in vs])
        client.get(url)
        eligibility_url = "/api/v1/eligibility?" + urlencode(
            [(k, v) for k, vs in raw.items() for v in vs]
        )
        decide[name] = {
            "decide_all": summary(times),
            "decide_all_cpu_ms_mean": ms(cpu),
            "rule_table_sort": summary(sorted_out),
            "not_ruled_out": summary(kept),
            "schemes": len(decisions),
            "outcomes": {s.value: sum(d.status is s for d in decisions) for s in rules.Status},
            "search_as_me_api": {"url": url, **summary(timed(lambda u=url: client.get(u), 5))},
            "eligibility_api": {
                "url": eligibility_url,
                **summary(timed(lambda u=eligibility_url: client.get(u), 5)),
            },
        }
    report["decide_all"] = decide
    answers = rules.parse_answers(vocabulary, PEOPLE["not sure of anything"])
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(3):
        rules.decide_all(vocabulary, answers, catalogue.rules.values())
    profile.disable()
    report["decide_all_profile"] = top(profile, "tottime", 15)

    (out / "inprocess.json").write_text(json.dumps(report, indent=1))
    short = {
        "search_in_process": {
            k: v for k, v in report["search_in_process"].items() if k != "slowest"
        },
        "api_no_parameters_in_process": report["api_no_parameters_in_process"],
        "decide_all_median_ms": {k: v["decide_all"]["median_ms"] for k, v in decide.items()},
        "rule_table_sort_median_ms": {
            k: v["rule_table_sort"]["median_ms"] for k, v in decide.items()
        },
        "not_ruled_out_median_ms": {k: v["not_ruled_out"]["median_ms"] for k, v in decide.items()},
        "eligibility_api_median_ms": {
            k: v["eligibility_api"]["median_ms"] for k, v in decide.items()
        },
        "search_as_me_api_median_ms": {
            k: v["search_as_me_api"]["median_ms"] for k, v in decide.items()
        },
    }
    print(json.dumps(short, indent=1))
    directory.close()


if __name__ == "__main__":
    main()
