"""Validators for the vendored HSDS 3.0 schemas (vendor/hsds-3.0/SOURCE.md).

The schema files name each other by file name ("$ref": "metadata.json"); a
registry holding all of them under their file URIs resolves those references
offline. They declare no $schema: HSDS's API reference uses draft 2020-12.

Upstream also publishes "compiled" schemas (schema/compiled/, left out of the
release copy we vendor): the same objects with every $ref written out in
place. `compiled()` builds them the same way from the vendored files, and
`problems()` checks an object against both forms, so a reference that one
form resolves differently cannot hide an error. List pages are checked
against the response schemas of HSDS's own API reference (schema/openapi.json).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "vendor" / "hsds-3.0" / "schema"
# How HSDS's openapi.json names the schemas it publishes online.
PUBLISHED = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
# The list pages' items are the "_list" compiled schemas: the object's own fields and its
# one-to-one objects. Built upstream from the object's schema, they accept whatever it
# accepts, and `compiled(name)` (which also checks the arrays) is the stricter test.
LIST_ITEMS = {
    "compiled/service_list.json": "service",
    "compiled/organization_list.json": "organization",
}


def _load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text())


@cache
def registry() -> Registry:
    return Registry().with_resources(
        (path.as_uri(), DRAFT202012.create_resource(json.loads(path.read_text())))
        for path in sorted(SCHEMA_DIR.glob("*.json"))
    )


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for one HSDS object: "service", "organization", "metadata", ..."""
    return Draft202012Validator(
        {"$ref": (SCHEMA_DIR / f"{name}.json").as_uri()},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _inline(node, resolve):
    """`node` with every {"$ref": ...} replaced by what `resolve` gives for it."""
    if isinstance(node, dict):
        if "$ref" in node:
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**_inline(resolve(node["$ref"]), resolve), **rest}
        return {key: _inline(value, resolve) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, resolve) for item in node]
    return node


def _file_ref(ref: str) -> dict:
    """A schema file, named as the schema files and openapi.json name them."""
    ref = ref.removeprefix(PUBLISHED)
    if ref in LIST_ITEMS:
        return compiled(LIST_ITEMS[ref])
    return copy.deepcopy(compiled(ref.removeprefix("compiled/").removesuffix(".json")))


@cache
def compiled(name: str) -> dict:
    """One HSDS object's schema with every reference written out, as schema/compiled/ has it."""
    schema = _inline(_load(name), _file_ref)
    assert "$ref" not in json.dumps(schema)
    return schema


@cache
def compiled_validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(compiled(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _messages(validator: Draft202012Validator, instance) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def problems(name: str, instance: dict) -> list[str]:
    """Every way `instance` breaks the schema, as "path: message"; [] when it is valid.

    Checked against the schema files and against the compiled schema; an error both
    find is reported once."""
    found = _messages(validator(name), instance)
    return found + [m for m in _messages(compiled_validator(name), instance) if m not in found]


@cache
def page_validator(path: str) -> Draft202012Validator:
    """The 200 response of one of HSDS's API paths ("/services"), its references written out."""
    api = _load("openapi")
    schema = api["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]

    def resolve(ref: str) -> dict:
        if ref.startswith("#/components/schemas/"):
            return api["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return _file_ref(ref)

    return Draft202012Validator(
        _inline(schema["schema"], resolve), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def page_problems(path: str, page: dict) -> list[str]:
    """Every way a list page breaks HSDS's response schema for `path`; [] when valid."""
    return _messages(page_validator(path), page)
