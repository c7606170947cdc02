"""System tests start real servers and a throwaway PostgreSQL cluster. They are marked
`slow`; .ci/run runs them. Without PostgreSQL's server programs on a laptop they skip
with the reason printed; under CI (CI=true) that is a failure instead."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.system.support import PostgresCluster, postgres_bin

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/system/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def cluster():
    if not (postgres_bin("initdb") and postgres_bin("pg_ctl")):
        reason = "PostgreSQL server programs (initdb, pg_ctl) are not installed"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = PostgresCluster().create()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def pg_url(cluster) -> str:
    """A new, empty database on the throwaway cluster."""
    return cluster.create_database(f"directory_{uuid.uuid4().hex[:10]}")
