"""The search package uses Whoosh through its public API only (issue #18).

Read from the source: no attribute whose name starts with an underscore is reached on
anything but the package's own objects (`self`, `cls`), none is imported from Whoosh, and
no getattr/setattr names one. So upgrading Whoosh cannot break on a private part.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import directory.search

PACKAGE = Path(directory.search.__file__).parent
SOURCES = sorted(PACKAGE.glob("*.py"))
OWN = {"self", "cls"}
STANDARD = {("os", "_exit")}  # the standard library's documented exit for a forked child


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def underscore_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else None
            if name not in OWN and (name, node.attr) not in STANDARD:
                found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            if any(_private(part) for part in node.module.split(".")):
                found.append(f"line {node.lineno}: from {node.module}")
            found += [
                f"line {node.lineno}: import {a.name}" for a in node.names if _private(a.name)
            ]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
            "getattr",
            "setattr",
            "hasattr",
        ):
            names = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
            if not names or any(_private(str(n)) for n in names):
                found.append(f"line {node.lineno}: {node.func.id}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_the_search_package_touches_no_private_part_of_whoosh(path):
    assert underscore_uses(path.read_text()) == []


@pytest.mark.parametrize(
    "source",
    [
        "reader._perdoc",
        "matcher._read_ids()",
        "from whoosh.codec.whoosh3 import _lenfield",
        "from whoosh._private import x",
        "getattr(column, '_dbfile')",
        "getattr(column, name)",
    ],
)
def test_the_check_catches_private_uses(source):
    assert underscore_uses(source)


def test_the_check_allows_the_packages_own_attributes():
    assert underscore_uses("self._lock\ncls._cache\nsearcher.postings('name', 'x')") == []
