"""Turn one bench/run.sh run into summary.json and summary.md, judged against the goals.

    .venv/bin/python bench/summarise.py bench/results/latest

Every figure in the summary comes from that one run's files, so medians and
ratios are always from the same run.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path

GOALS = {
    "api_vs_datasette": "search API median no worse than Datasette's",
    "p99": "p99 < 100 ms",
    "index": "index build at start-up < 10 s (issue #18)",
    "memory": "memory per worker < 200 MB",
    "decide": "eligibility API median < 20 ms, p99 < 60 ms at 16 connections (issue #5)",
}


def read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return default


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text()
    total_kb = int(re.search(r"MemTotal:\s*(\d+)", meminfo).group(1))
    os_release = Path("/etc/os-release").read_text()
    pretty = re.search(r'PRETTY_NAME="(.*)"', os_release)
    versions = {}
    for package in (
        "flask",
        "werkzeug",
        "whoosh3",
        "sqlmodel",
        "sqlalchemy",
        "pydantic",
        "pyyaml",
        "gunicorn",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    versions["wrk"] = (wrk.stdout + wrk.stderr).split()[1] if (wrk.stdout + wrk.stderr) else None
    versions["sqlite"] = sqlite3.sqlite_version
    return {
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cores": len(re.findall(r"^processor\s*:", cpuinfo, re.M)),
        "ram_gb": round(total_kb / 1024 / 1024, 1),
        "os": pretty.group(1) if pretty else platform.platform(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
    }


def py_spy_summary(path: Path, limit: int = 20) -> dict:
    """Inclusive and self shares of samples per function, from py-spy's raw format."""
    inclusive, own, total = Counter(), Counter(), 0
    if not path.exists():
        return {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r"\s*\(.*?:\d+\)$", lambda m: "", f) + _where(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return {}

    def share(counter: Counter, keep) -> list:
        return [
            (frame, round(100 * n / total, 1)) for frame, n in counter.most_common() if keep(frame)
        ][:limit]

    ours = re.compile(r"\((directory|whoosh|jinja2|flask|werkzeug|sqlalchemy|json)[/.]")
    return {
        "samples": total,
        "inclusive_percent": share(inclusive, lambda f: bool(ours.search(f))),
        "self_percent": share(own, lambda f: True),
    }


def _where(frame: str) -> str:
    """'fn (path/to/whoosh/x.py:12)' -> ' (whoosh/x.py)': package-relative, no line."""
    match = re.search(r"\((.*?):\d+\)$", frame)
    if not match:
        return ""
    path = match.group(1)
    for root in (
        "directory/",
        "whoosh/",
        "jinja2/",
        "flask/",
        "werkzeug/",
        "sqlalchemy/",
        "json/",
        "gunicorn/",
        "markupsafe/",
    ):
        if root in path:
            return f" ({root}{path.split(root, 1)[1]})"
    return f" ({Path(path).name})"


def read_text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def below(figure: dict, key: str, limit: float) -> str:
    """PASS if the load's figure is under the limit; n/a if the load gave none."""
    value = figure.get(key)
    return verdict(value < limit if value else None)


def main() -> None:
    run = Path(sys.argv[1]).resolve()
    wrk = {p.stem.removeprefix("wrk-"): read_json(p) for p in sorted(run.glob("wrk-*.json"))}
    memory = {p.stem.removeprefix("memory-"): read_json(p) for p in run.glob("memory-*.json")}
    index = read_json(run / "index-build.json", {})
    imported = read_json(run / "import.json", {})
    inprocess = read_json(run / "inprocess.json", {})
    hello_rps = (wrk.get("hello") or {}).get("rps")

    def fig(name: str) -> dict:
        w = wrk.get(name) or {}
        lat = w.get("latency_ms", {})
        errors = sum((w.get("errors") or {}).values())
        return {
            "median_ms": lat.get("p50"),
            "p90_ms": lat.get("p90"),
            "p99_ms": lat.get("p99"),
            "rps": w.get("rps"),
            "requests": w.get("requests"),
            "errors": errors,
            "fraction_of_trivial": round(w["rps"] / hello_rps, 4) if w and hello_rps else None,
        }

    figures = {name: fig(name) for name in wrk}
    for name, f in figures.items():
        cpu = read_json(run / f"cpu-{name}.json", {})
        duration = (wrk.get(name) or {}).get("duration_s")
        f["server_cores_used"] = (
            round(cpu["server_cpu_seconds"] / duration, 2) if cpu and duration else None
        )
        f["loadavg_1min_after"] = cpu.get("loadavg_1min_after") if cpu else None
        requests = (wrk.get(name) or {}).get("requests")
        f["server_cpu_ms_per_request"] = (
            round(1000 * cpu["server_cpu_seconds"] / requests, 2) if cpu and requests else None
        )
    facet_times = sorted(
        float(t) for t in read_text(run / "datasette-facets-sequential.txt").split()
    )
    worker_mb = [round(m["rss_kb"] / 1024, 1) for m in memory.get("app", [])]
    worker_pss = [round(m["pss_kb"] / 1024, 1) for m in memory.get("app", [])]
    api, table, canned = (
        figures.get("api", {}),
        figures.get("datasette-table", {}),
        figures.get("datasette-canned", {}),
    )
    eligibility = figures.get("eligibility", {})
    eligibility_many = figures.get("eligibility-many", {})
    decide = {
        name: {
            "decide_all": d["decide_all"]["median_ms"],
            "rule_table_sort": d.get("rule_table_sort", {}).get("median_ms"),
        }
        for name, d in inprocess.get("decide_all", {}).items()
    }
    goals = {
        "api_vs_datasette_table": verdict(
            api.get("median_ms") <= table.get("median_ms") if table.get("median_ms") else None
        ),
        "api_vs_datasette_canned": verdict(
            api.get("median_ms") <= canned.get("median_ms") if canned.get("median_ms") else None
        ),
        "api_p99": below(api, "p99_ms", 100),
        "search_page_p99": verdict(figures.get("search-page", {}).get("p99_ms", 1e9) < 100),
        "index_build": verdict(index.get("index_build_seconds", 1e9) < 10),
        # A worker's share of memory (PSS): pages the workers share with the master that
        # preloaded the catalogue count once across them, as they do in the machine's RAM.
        "memory_per_worker": verdict(bool(worker_pss) and max(worker_pss) < 200),
        "eligibility_median": below(eligibility, "median_ms", 20),
        "eligibility_p99": below(eligibility, "p99_ms", 60),
        "eligibility_many_median": below(eligibility_many, "median_ms", 20),
        "eligibility_many_p99": below(eligibility_many, "p99_ms", 60),
    }
    summary = {
        "run": run.name,
        "machine": machine(),
        "settings": {
            "connections": 16,
            "wrk_threads": 2,
            "gunicorn_workers": int(os.environ.get("WORKERS", 2)),
            "threads_per_worker": int(os.environ.get("WORKER_THREADS", 2)),
        },
        "generate": (run / "generate.txt").read_text().strip()
        if (run / "generate.txt").exists()
        else None,
        "import": imported,
        "index_build": index,
        "app_start": read_json(run / "app-start.json"),
        "load": figures,
        "memory_mb": {
            "app_workers_rss": worker_mb,
            "app_workers_pss": worker_pss,
            "datasette_rss": [round(m["rss_kb"] / 1024, 1) for m in memory.get("datasette", [])],
            "hello_workers_rss": [round(m["rss_kb"] / 1024, 1) for m in memory.get("hello", [])],
        },
        "decide_all_median_ms": decide,
        "datasette_facets_sequential_s": {
            "times": facet_times,
            "median": facet_times[len(facet_times) // 2] if facet_times else None,
        },
        "in_process": {
            k: inprocess.get(k) for k in ("search_in_process", "api_no_filters_in_process")
        },
        "py_spy_api": py_spy_summary(run / "py-spy-api.txt"),
        "goals": goals,
    }
    (run / "summary.json").write_text(json.dumps(summary, indent=1))
    (run / "summary.md").write_text(markdown(summary))
    print(markdown(summary))


def markdown(s: dict) -> str:
    load, g, m = s["load"], s["goals"], s["machine"]

    def row(label: str, name: str) -> str:
        f = load.get(name) or {}
        if not f:
            return f"| {label} | (not run) | | | | | | | | |"
        frac, cores = f["fraction_of_trivial"], f["server_cores_used"]
        per_request = f["server_cpu_ms_per_request"]
        return (
            f"| {label} | {f['median_ms']:.1f} | {f['p90_ms']:.1f} | {f['p99_ms']:.1f} | "
            f"{f['rps']:.1f} | {'' if frac is None else f'{frac:.1%}'} | {f['requests']} | "
            f"{f['errors']} | {'' if cores is None else cores} | "
            f"{'' if per_request is None else per_request} |"
        )

    idx, imp = s["index_build"], s["import"]
    mem = s["memory_mb"]
    decide = s["decide_all_median_ms"]
    sip = (s.get("in_process") or {}).get("search_in_process") or {}
    lines = [
        f"Run `{s['run']}` on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}, "
        f"Python {m['python']}. {s['generate'] or ''}",
        "",
        "Load: wrk, 2 threads, 16 connections, timeout 30 s; the app under `directory serve` "
        f"(gunicorn, {os.environ.get('WORKERS', '?')} gthread workers x "
        f"{os.environ.get('WORKER_THREADS', '?')} threads, app preloaded), the trivial view "
        "under the same gunicorn settings; Datasette on its default server.",
        "",
        "| target | median ms | p90 ms | p99 ms | req/s | of trivial | requests | errors "
        "| server cores used | server CPU ms per request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        row("search page `/search?...` (mix)", "search-page"),
        row("search API `/api/v1/schemes?...` (mix)", "api"),
        row("search API, no parameters", "api-no-filters"),
        row("search API, filters only (no words)", "api-filters-only"),
        row("search API (mix), 1 connection", "api-1-connection"),
        row("eligibility API, 1,000 people (first page of each group, 20 each)", "eligibility"),
        row("eligibility API, 100,000 people (49,730 distinct), in turn", "eligibility-many"),
        row("Datasette table JSON: FTS5 + same filters + total", "datasette-table"),
        row("Datasette canned ranked query (bm25, 1 page, no facets)", "datasette-canned"),
        row("trivial Flask view (ceiling)", "hello"),
        "",
        "| measure | figure | goal | result |",
        "|---|---:|---|---|",
        f"| search API median vs Datasette table JSON (FTS5, filters, total) | "
        f"{load.get('api', {}).get('median_ms')} ms vs "
        f"{load.get('datasette-table', {}).get('median_ms')} ms | no worse | "
        f"{g['api_vs_datasette_table']} |",
        f"| search API median vs Datasette canned ranked query | "
        f"{load.get('api', {}).get('median_ms')} ms vs "
        f"{load.get('datasette-canned', {}).get('median_ms')} ms | no worse | "
        f"{g['api_vs_datasette_canned']} |",
        f"| search API p99 (16 connections) | {load.get('api', {}).get('p99_ms')} ms | "
        f"< 100 ms | {g['api_p99']} |",
        f"| search page p99 (16 connections) | {load.get('search-page', {}).get('p99_ms')} ms | "
        f"< 100 ms | {g['search_page_p99']} |",
        f"| cold index build ({idx.get('schemes')} schemes) | "
        f"{idx.get('index_build_seconds')} s wall, {idx.get('index_build_cpu_seconds')} s CPU "
        f"(+ {idx.get('catalogue_load_seconds')} s loading the catalogue) | < 30 s | "
        f"{g['index_build']} |",
        f"| memory per app worker after the runs, PSS (RSS, counting shared pages in full) | "
        f"{', '.join(map(str, mem['app_workers_pss']))} MB "
        f"({', '.join(map(str, mem['app_workers_rss']))} MB) | < 200 MB | "
        f"{g['memory_per_worker']} |",
        f"| eligibility API median (16 connections) | "
        f"{load.get('eligibility', {}).get('median_ms')} ms | < 20 ms | "
        f"{g['eligibility_median']} |",
        f"| eligibility API p99 (16 connections) | "
        f"{load.get('eligibility', {}).get('p99_ms')} ms | < 60 ms | {g['eligibility_p99']} |",
        f"| eligibility API median, 100,000 people | "
        f"{load.get('eligibility-many', {}).get('median_ms')} ms | < 20 ms | "
        f"{g['eligibility_many_median']} |",
        f"| eligibility API p99, 100,000 people | "
        f"{load.get('eligibility-many', {}).get('p99_ms')} ms | < 60 ms | "
        f"{g['eligibility_many_p99']} |",
        "| one person, all schemes, in-process (median): every listing's status as bitmaps "
        "(`RuleTable.sort`) / every decision worded (`rules.decide_all`) | "
        + "; ".join(
            f"{v['rule_table_sort']} / {v['decide_all']} ms ({k})" for k, v in decide.items()
        )
        + " | (context) | |",
        f"| search in-process, per query of the mix (median wall / CPU) | "
        f"{sip.get('all', {}).get('median_ms')} / {sip.get('all_cpu', {}).get('median_ms')} ms "
        f"(p90 {sip.get('all', {}).get('p90_ms')} / {sip.get('all_cpu', {}).get('p90_ms')} ms) "
        f"| (context) | |",
        f"| load average (1 min) after each run: other work shares this machine | "
        f"{', '.join(str(f.get('loadavg_1min_after')) for f in load.values())} | (context) | |",
        f"| import into fresh SQLite (`directory import`) | {imp.get('import_seconds')} s "
        f"({imp.get('import_user_cpu_seconds')} s CPU), "
        f"peak {round((imp.get('import_max_rss_kb') or 0) / 1024)} MB | none set | |",
        f"| distinct compiled rules | {idx.get('distinct_rules')} | far fewer than schemes | |",
        f"| Datasette table JSON with the app's 9 facet counts, one request at a time "
        f"(median of {len(s['datasette_facets_sequential_s']['times'])}) | "
        f"{s['datasette_facets_sequential_s']['median']} s | (context) | |",
        f"| Datasette RSS / trivial-view worker RSS | "
        f"{', '.join(map(str, mem['datasette_rss']))} MB / "
        f"{', '.join(map(str, mem['hello_workers_rss']))} MB | | |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
