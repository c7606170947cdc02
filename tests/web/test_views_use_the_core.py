"""Public views read listings, changes and audit entries through the core (issue #18):
none of them builds a database query or opens a session itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "directory" / "web"
VIEWS = ["public.py", "api.py", "open_data.py", "ops.py", "checker.py", "guide.py"]


def database_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and (
                node.module.split(".")[0] in ("sqlmodel", "sqlalchemy")
                or node.module == "directory.models"
            )
        ):
            found.append(f"line {node.lineno}: from {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr in ("session", "engine", "exec"):
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


@pytest.mark.parametrize("name", VIEWS)
def test_the_view_module_leaves_the_database_to_the_core(name):
    assert database_uses((WEB / name).read_text()) == []


def test_the_check_sees_a_query_built_in_a_view():
    assert database_uses("from sqlmodel import select\nwith directory().session() as s: pass")
