"""Validators for the vendored HSDS 3.0 schemas (vendor/hsds-3.0/SOURCE.md).

The schema files name each other by file name ("$ref": "metadata.json"); a
registry holding all of them under their file URIs resolves those references
offline. They declare no $schema: HSDS's API reference uses draft 2020-12.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "vendor" / "hsds-3.0" / "schema"


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


def problems(name: str, instance: dict) -> list[str]:
    """Every way `instance` breaks the schema, as "path: message"; [] when it is valid."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator(name).iter_errors(instance)
    ]
