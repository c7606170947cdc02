"""Summarise bench/lighthouse.sh's reports: the median of each figure per page, as the
Markdown table bench/README.md keeps.  Usage: python bench/lighthouse_summary.py DIR"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ORDER = ["home", "search", "listing", "question", "results"]
COLUMNS = [
    ("Performance", lambda r: r["categories"]["performance"]["score"] * 100, "{:.0f}"),
    ("Accessibility", lambda r: r["categories"]["accessibility"]["score"] * 100, "{:.0f}"),
    ("Best practices", lambda r: r["categories"]["best-practices"]["score"] * 100, "{:.0f}"),
    ("LCP (s)", lambda r: r["audits"]["largest-contentful-paint"]["numericValue"] / 1000, "{:.2f}"),
    ("CLS", lambda r: r["audits"]["cumulative-layout-shift"]["numericValue"], "{:.3f}"),
    ("TBT (ms)", lambda r: r["audits"]["total-blocking-time"]["numericValue"], "{:.0f}"),
    ("KB transferred", lambda r: r["audits"]["total-byte-weight"]["numericValue"] / 1024, "{:.1f}"),
    ("Unused CSS (KB)", lambda r: _unused(r, "unused-css-rules"), "{:.1f}"),
    ("Unused JS (KB)", lambda r: _unused(r, "unused-javascript"), "{:.1f}"),
]


def _unused(report: dict, audit: str) -> float:
    details = report["audits"].get(audit, {}).get("details") or {}
    return sum(item.get("wastedBytes", 0) for item in details.get("items", [])) / 1024


def main(folder: Path) -> None:
    by_page: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*.json")):
        by_page.setdefault(path.stem.rsplit("-", 1)[0], []).append(json.loads(path.read_text()))
    version = next(iter(by_page.values()))[0]["lighthouseVersion"] if by_page else "?"
    print(f"Lighthouse {version}, mobile, median of {max(map(len, by_page.values()))} runs\n")
    print("| Page | " + " | ".join(name for name, _, _ in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for page in sorted(by_page, key=lambda p: ORDER.index(p) if p in ORDER else 99):
        reports = by_page[page]
        cells = [form.format(statistics.median(map(get, reports))) for _, get, form in COLUMNS]
        print(f"| {page} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
