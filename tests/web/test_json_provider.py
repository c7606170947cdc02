"""JSON responses are written by orjson, with Flask's own provider's output rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

from flask import jsonify
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from directory.web.json_provider import OrjsonProvider


@dataclasses.dataclass
class Point:
    x: int
    label: str


SAMPLE = {
    "zebra": [1, 2.5, None, True],
    "apple": {"b": "Société", "a": Markup("<em>kept</em>")},
    "when": dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC),
    "day": dt.date(2026, 9, 1),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "point": Point(3, "three"),
    "counts": {2: "two", 1: "one"},
}


def test_it_writes_what_flasks_provider_writes_with_keys_in_the_same_order(app):
    ours = OrjsonProvider(app).dumps(SAMPLE)
    flasks = DefaultJSONProvider(app).dumps(SAMPLE)
    assert json.loads(ours) == json.loads(flasks)
    assert ours.index('"apple"') < ours.index('"counts"') < ours.index('"zebra"')
    assert json.loads(ours)["when"] == "Sat, 05 Dec 2026 09:30:00 GMT"  # an HTTP date
    assert json.loads(ours)["day"] == "Tue, 01 Sep 2026 00:00:00 GMT"
    assert json.loads(ours)["point"] == {"x": 3, "label": "three"}


def test_responses_are_compact_utf8_with_a_closing_newline(app):
    with app.test_request_context():
        response = jsonify({"b": "Société", "a": 1})
    assert response.mimetype == "application/json"
    assert response.get_data() == '{"a":1,"b":"Société"}\n'.encode()


def test_options_only_the_standard_library_knows_still_work(app):
    assert OrjsonProvider(app).dumps({"b": 1, "a": 2}, indent=2) == '{\n  "a": 2,\n  "b": 1\n}'


def test_the_app_answers_with_it(client):
    response = client.get("/api/v1/taxonomy")
    assert response.status_code == 200
    parsed = response.get_json()
    assert parsed["ok"] is True
    compact = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert response.get_data() == f"{compact}\n".encode()
