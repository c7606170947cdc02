"""Safe YAML: positions for every value; aliases, tags and duplicate keys refused."""

from __future__ import annotations

import pytest

from directory.yamlfile import DataFileError, dump, field_name, parse


def test_every_value_knows_its_line():
    document = parse("a:\n  b:\n    - x\n    - y\n", "f.yaml")
    assert document.data == {"a": {"b": ["x", "y"]}}
    assert document.line_of(("a", "b", 1)) == 4
    assert document.line_of(("a", "b", 7)) == 3  # falls back to the nearest known parent


def test_field_names_read_like_paths():
    assert field_name(("schemes", 3, "eligibility", "mentee")) == "schemes[3].eligibility.mentee"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: &x 1\nb: *x\n",
            "f.yaml:1: not valid YAML: anchors and aliases (&name) are not allowed",
        ),
        ("a: 1\na: 2\n", "f.yaml:2: a: duplicate key (first given on line 1)"),
        (
            "a: !!python/name:os.system x\n",
            "f.yaml:1: a: the tag tag:yaml.org,2002:python/name:os.system is not allowed",
        ),
        ("<<: {a: 1}\n", "f.yaml:1: merge keys (<<) are not allowed"),
        ("a: [1, 2\n", "f.yaml:2: not valid YAML"),
        ("? [a, b]\n: 1\n", "f.yaml:1: keys must be plain text"),
    ],
)
def test_unsafe_or_ambiguous_yaml_is_refused(text, message):
    with pytest.raises(DataFileError) as caught:
        parse(text, "f.yaml")
    assert str(caught.value.problems[0]).startswith(message)


def test_a_billion_laughs_is_refused_before_it_expands():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    with pytest.raises(DataFileError):
        parse(bomb, "bomb.yaml")


def test_dump_is_block_style_keeps_key_order_and_never_uses_anchors():
    shared = ["x"]
    text = dump({"z": shared, "a": shared, "text": "line one\nline two"})
    assert text == "z:\n  - x\na:\n  - x\ntext: |-\n  line one\n  line two\n"
