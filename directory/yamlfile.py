"""Safe YAML reading that remembers where every value came from.

Curators edit the catalogue by hand, so every error has to point at a line.
PyYAML's composer gives us nodes with positions; we build plain Python values
from them ourselves, which also lets us refuse what a safe loader should:
aliases (the "billion laughs" bomb), duplicate keys and custom tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Location = tuple[str | int, ...]  # path from the document root, e.g. ("schemes", 3, "name")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data file, printed as `file:line: field: message`."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class DataFileError(Exception):
    """A data file was rejected; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.field, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def field_name(location: Location) -> str:
    """("schemes", 3, "eligibility", "mentee") -> "schemes[3].eligibility.mentee"."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class LocatedDocument:
    """A parsed YAML document plus the line of every value in it."""

    file: str
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Location) -> int:
        """The line of a value, or of its nearest ancestor that has one."""
        location = tuple(location)
        while location not in self.lines and location:
            location = location[:-1]
        return self.lines.get(location, 1)

    def problem(self, location: Location, message: str) -> Problem:
        return Problem(self.file, self.line_of(location), field_name(location), message)


_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


class _AliasFound(Exception):
    def __init__(self, node: yaml.Node):
        super().__init__("alias")
        self.node = node


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.lines: dict[Location, int] = {}
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        self.scalars = yaml.SafeLoader("")  # only used to construct plain scalars

    def build(self, node: yaml.Node, location: Location) -> Any:
        self.lines[location] = node.start_mark.line + 1
        if isinstance(node, yaml.CollectionNode | yaml.ScalarNode) and id(node) in self.seen:
            # The same node twice is an alias (*name): refused before anything is copied,
            # so an "alias bomb" costs nothing.
            raise _AliasFound(node)
        self.seen.add(id(node))
        if node.tag not in _SAFE_TAGS:
            self._fail(node, location, f"the tag {node.tag} is not allowed")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, location)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*location, i)) for i, item in enumerate(node.value)]
        return self.scalars.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, location: Location) -> dict:
        result: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._fail(key_node, location, "merge keys (<<) are not allowed")
                continue
            key = self._key(key_node, location)
            if not isinstance(key, str):
                self._fail(key_node, location, "keys must be plain text")
                continue
            if key in result:
                first = self.lines.get((*location, key), "?")
                self._fail(
                    key_node, (*location, key), f"duplicate key (first given on line {first})"
                )
                continue
            result[key] = self.build(value_node, (*location, key))
        return result

    def _key(self, node: yaml.Node, location: Location):
        """A mapping key: a plain scalar, built without recording a line for it."""
        if not isinstance(node, yaml.ScalarNode) or node.tag not in _SAFE_TAGS:
            return None
        return self.scalars.construct_object(node)

    def _fail(self, node: yaml.Node, location: Location, message: str) -> None:
        line = node.start_mark.line + 1
        self.problems.append(Problem(self.file, line, field_name(location), message))


# libyaml's composer when available: parsing a 10,000-listing catalogue takes seconds
# instead of a minute. It keeps an alias as a second reference to the anchored node,
# without copying anything, so _Builder can refuse it on sight.
_Composer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str, file: str) -> LocatedDocument:
    """Parse one YAML document; raise DataFileError with every problem found."""
    loader = _Composer(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        message = error.problem or str(error)
        raise DataFileError([Problem(file, line, "", f"not valid YAML: {message}")]) from None
    except yaml.YAMLError as error:
        raise DataFileError([Problem(file, 1, "", f"not valid YAML: {error}")]) from None
    finally:
        loader.dispose()
    if root is None:
        return LocatedDocument(file, None)
    builder = _Builder(file)
    try:
        data = builder.build(root, ())
    except _AliasFound as found:
        line = found.node.start_mark.line + 1
        message = "not valid YAML: anchors and aliases (&name) are not allowed"
        raise DataFileError([Problem(file, line, "", message)]) from None
    if builder.problems:
        raise DataFileError(builder.problems)
    return LocatedDocument(file, data, builder.lines)


def read(path: str | Path, display_name: str | None = None) -> LocatedDocument:
    path = Path(path)
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError([Problem(name, 1, "", "file not found")]) from None
    except UnicodeDecodeError as error:
        raise DataFileError([Problem(name, 1, "", f"not UTF-8 text: {error}")]) from None
    return parse(text, name)


def dump(data: Any) -> str:
    """Deterministic, diff-friendly YAML: keys in the order given, block style, unicode kept."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=88,
    )


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # never emit anchors, even for repeated objects
        return True

    def increase_indent(self, flow=False, indentless=False):  # indent lists under their key
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
