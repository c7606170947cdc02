"""Health checks for load balancers and orchestrators: cheap, unauthenticated, and
revealing nothing private (no versions, paths, hosts or error messages)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from directory.web.helpers import directory

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive and answering. Touches nothing else."""
    return jsonify({"ok": True})


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers (the search index is built in memory from
    the catalogue, so a host is ready when its catalogue is)."""
    checks = directory().readiness()
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"ok": ready, "checks": checks}), (200 if ready else 503)
