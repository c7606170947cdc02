"""axe-core checks for browser tests: `assert_no_axe_violations(page)`.

axe.min.js comes from the npm devDependency axe-core (node_modules/axe-core). The site
sends a nonce-based Content-Security-Policy, which blocks the inline <script> axe is
injected as, so scan pages from a context created with `bypass_csp=True` (the
`axe_page` fixture in tests/browser/conftest.py).

axe cannot run in a context with JavaScript off (its checks are scripts): to scan a page
as someone without JavaScript gets it, open it with `goto_without_javascript(axe_page,
url)`, which stops the page's own scripts for that one load only.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.2 AA (axe has no separate wcag22a tag) plus axe's own best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_RUN = """(tags) => axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
})"""


def goto_without_javascript(page: Page, url: str) -> Response | None:
    """Open `url` with the page's scripts switched off, then switch scripting back on.

    The page is left as a browser without JavaScript shows it (no script has run, so no
    enhancement has happened), yet axe can still be injected into it afterwards.
    """
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        return page.goto(url)
    finally:
        cdp.send("Emulation.setScriptExecutionDisabled", {"value": False})
        cdp.detach()


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now; its violations (empty when there are none)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        try:
            page.add_script_tag(path=AXE_JS)
        except PlaywrightError as error:
            raise RuntimeError(
                "axe-core could not be injected (the page's Content-Security-Policy blocks "
                "inline scripts): scan from a context created with bypass_csp=True, such as "
                "the axe_page fixture"
            ) from error
    return page.evaluate(_RUN, AXE_TAGS)["violations"]


def format_violations(violations: list[dict]) -> str:
    """One block per violated rule: id, impact, help, link, and each offending node."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " ".join(
                " >> ".join(part) if isinstance(part, list) else part for part in node["target"]
            )
            lines.append(f"  - {target}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"      {line}" for line in summary.splitlines())
    return "\n".join(lines)


def assert_no_axe_violations(page: Page) -> None:
    """Fail with a readable list if axe-core finds any WCAG 2.2 AA or best-practice problem."""
    violations = axe_violations(page)
    if violations:
        raise AssertionError(
            f"axe-core found {len(violations)} accessibility violation(s) on {page.url}:\n"
            + format_violations(violations)
        )
