"""The form for editing a listing: every field, and the rules as structured choices.

The form is built from the vocabulary (a new question becomes a new rule
section with no code). A rule is edited as conditions everyone must meet (one
per question: "profession is one of ...", or "is not one of ...", plus steps to
confirm) and, if there is more than one way to qualify, ways to qualify, each a
set of conditions, at least one of which must hold: "a CSP member, or a
physiotherapy student". A rule written in YAML that needs more (two separate
choices, nesting) is shown in words and kept as it is.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from directory import catalogue as cat
from directory import rules
from directory.vocabulary import Vocabulary
from directory.yamlfile import LocatedDocument

NOT_STATED = ""
IN, NOT_IN = "in", "not-in"
RULE_QUESTIONS_EXCLUDED = ("role",)  # the role is the section itself


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


SOURCE_KEYS = ("title", "url", "date", "quote", "note")


class SourceForm(Form):
    title = StringField("Title", widget=GovTextInput())
    url = StringField("Web address", widget=GovTextInput(), validators=[Optional()])
    date = StringField(
        "Date the page gives",
        description="As precisely as the page gives it: 2024, 2024-09 or 2024-09-15",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    quote = TextAreaField("What it says", widget=GovTextArea(), validators=[Optional()])
    note = StringField("Note", widget=GovTextInput(), validators=[Optional()])


def _sources(entries) -> list[dict]:
    return [
        {k: (getattr(s, k).data or None) for k in SOURCE_KEYS}
        for s in entries
        if any(getattr(s, k).data for k in SOURCE_KEYS)
    ]


class DayMonthYearField(DateField):
    """A date typed as day, month and year boxes (govuk-frontend's date input).

    A browser always sends three parts; anything else is a tampered form, and
    gets an error message rather than breaking the widget that redraws it.
    """

    def __init__(self, label: str, what: str = "The date", **kwargs):
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)
        self.what = what  # names it in messages: "The date you checked must be a real date"

    def process_formdata(self, valuelist):
        if not valuelist:  # a form without these boxes: three empty ones to draw
            self.raw_data = ["", "", ""]
            self.data = None
            return
        if len(valuelist) != 3:
            self.raw_data = [*valuelist, "", "", ""][:3]  # three boxes to redraw, not empty
            self.data = None
            raise ValueError(f"Enter {self.what.lower()} as a day, a month and a year")
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"{self.what} must be a real date") from None


class WindowForm(Form):
    # "the window" becomes "application window 2" in messages (see number_window_errors)
    opens = DayMonthYearField("Opens", "The date the window opens", validators=[Optional()])
    closes = DayMonthYearField("Closes", "The date the window closes", validators=[Optional()])
    note = StringField("Note", widget=GovTextInput(), validators=[Optional()])


def number_window_errors(form) -> None:
    """Name each application window in its date messages, so no two read alike."""
    for number, window in enumerate(form.windows, start=1):
        for field in (window.form.opens, window.form.closes):
            field.errors = [
                e.replace("the window", f"application window {number}") for e in field.errors
            ]


def _kept_rule_is_json(form, field) -> None:
    """The kept rule (hidden) is checked beside the role's first box, which a link can reach."""
    if form.advanced.data:
        try:
            json.loads(form.advanced.data)
        except ValueError:
            raise ValidationError(
                "This rule was changed outside the form: reload the page"
            ) from None


def advanced_summaries(form, vocabulary: Vocabulary) -> dict[str, rules.Condition | None]:
    """Plain-English versions of the kept rules the form shows but cannot edit."""
    summaries = {}
    for role in vocabulary.slugs("roles"):
        text = form[f"role_{role}"].advanced.data
        if text:
            try:
                summaries[role] = rule_summary(json.loads(text), vocabulary)
            except ValueError:
                summaries[role] = None
    return summaries


def _condition_fields(vocabulary: Vocabulary) -> dict[str, Any]:
    """A condition per question (how it applies, then the values) and steps to confirm,
    created in the order the page shows them, so errors are listed in that order."""
    fields: dict[str, Any] = {}
    for question in vocabulary.questions.values():
        if question.id in RULE_QUESTIONS_EXCLUDED:
            continue
        term_set = vocabulary.term_sets[question.term_set]
        options = [(g.slug, g.label) for g in term_set.groups] + [
            (t.slug, t.label) for t in term_set.terms
        ]
        fields[f"{question.id}_mode"] = RadioField(
            f"How {term_set.label.lower()} applies",
            choices=_choices(
                [(IN, "Must be one of the ticked"), (NOT_IN, "Must not be any of the ticked")]
            ),
            default=IN,
            widget=GovRadioInput(),
        )
        fields[f"{question.id}_values"] = SelectMultipleField(
            term_set.label,
            choices=_choices(options),
            widget=GovCheckboxesInput(),
            validate_choice=True,
        )
    fields["confirm"] = TextAreaField(
        "Steps to confirm with the provider, one per line",
        description="For example: ask your employer whether it runs a mentoring scheme",
        widget=GovTextArea(),
    )
    return fields


def role_form_class(vocabulary: Vocabulary) -> type[Form]:
    """Who can take part in one role: conditions everyone meets, ways to qualify (at
    least one of which must hold), evidence."""
    way_form = type("WayForm", (Form,), _condition_fields(vocabulary))
    attributes: dict[str, Any] = {
        "offered": BooleanField(
            "This listing describes a way to take part in this role",
            widget=GovCheckboxInput(),
            validators=[_kept_rule_is_json],
        ),
        **_condition_fields(vocabulary),
        "ways": FieldList(FormField(way_form), min_entries=0),
        "meetable_checked": BooleanField(
            "Keep these conditions: it is what the sources say",
            widget=GovCheckboxInput(),
        ),
        "evidence": TextAreaField("What the source says (a quotation)", widget=GovTextArea()),
        "reference": StringField(
            "Where it says it (web address or document)", widget=GovTextInput()
        ),
        "also_check": TextAreaField("Also check, one note per line", widget=GovTextArea()),
        "advanced": HiddenField(),  # a rule the form cannot show, as JSON
    }
    return type("RoleForm", (Form,), attributes)


def listing_form_class(vocabulary: Vocabulary, provider_choices: list[tuple[str, str]], new: bool):
    def terms(set_name: str, with_groups: bool = False):
        term_set = vocabulary.term_sets[set_name]
        groups = [(g.slug, g.label) for g in term_set.groups] if with_groups else []
        return _choices(groups + [(t.slug, t.label) for t in term_set.terms])

    # Fields are created in the order the page shows them, so the error summary lists
    # its messages in that order (WTForms orders fields by creation).
    scheme_id = (
        StringField(
            "Short name for the web address",
            description="Lower-case letters, numbers and hyphens, "
            "for example ljmu-physio-peer-mentoring",
            widget=GovTextInput(),
        )
        if new
        else None
    )
    role_form = role_form_class(vocabulary)
    attributes: dict[str, Any] = {
        "version": HiddenField(),  # the published version the editor started from
        # After a conflict: the version whose overlapping fields the editor has seen.
        "accepted_version": HiddenField(),
        "name": StringField("Name", widget=GovTextInput()),
        "provider": SelectField(
            "Provider",
            choices=_choices(
                ([("", "Choose the organisation")] if new and len(provider_choices) > 1 else [])
                + provider_choices
            ),
            widget=GovSelect(),
        ),
        "listing_type": RadioField(
            "Type of listing", choices=terms("listing_types"), widget=GovRadioInput()
        ),
        "summary": TextAreaField(
            "Summary",
            description="What it is, in one or two sentences (300 characters at most)",
            widget=GovTextArea(),
        ),
        "description": TextAreaField(
            "Description", description="Leave a blank line between paragraphs", widget=GovTextArea()
        ),
        "mentoring_types": SelectMultipleField(
            "Types of mentoring offered",
            choices=terms("mentoring_types"),
            widget=GovCheckboxesInput(),
            validate_choice=True,
        ),
        "access": RadioField(
            "Access",
            choices=[*terms("access"), SelectChoice(NOT_STATED, "Not stated")],
            widget=GovRadioInput(),
        ),
        "regions_stated": RadioField(
            "Where it is offered",
            choices=_choices(
                [("no", "Not stated in the sources"), ("yes", "In the regions ticked below")]
            ),
            widget=GovRadioInput(),
        ),
        "regions": SelectMultipleField(
            "Regions or nations",
            choices=terms("regions", with_groups=True),
            widget=GovCheckboxesInput(),
            validate_choice=True,
        ),
        "url": StringField("Web address of the scheme", widget=GovTextInput()),
        "cost": StringField("Cost", widget=GovTextInput()),
        "duration": StringField("How long it lasts", widget=GovTextInput()),
        **{f"role_{role}": FormField(role_form) for role in vocabulary.slugs("roles")},
        "applications_how": TextAreaField("How to apply", widget=GovTextArea()),
        "applications_timing": RadioField(
            "When to apply",
            choices=_choices(
                [
                    ("unknown", "Not published"),
                    ("all-year", "Open all year"),
                    ("windows", "In application windows"),
                ]
            ),
            widget=GovRadioInput(),
        ),
        "windows": FieldList(FormField(WindowForm), min_entries=1),
        "sources": FieldList(FormField(SourceForm), min_entries=1),
        "status_state": RadioField(
            "Does it still run?",
            choices=terms("statuses"),
            default="unknown",
            widget=GovRadioInput(),
        ),
        "status_checked": DayMonthYearField(
            "When you checked", "The date you checked", validators=[Optional()]
        ),
        "status_evidence": FieldList(FormField(SourceForm), min_entries=1),
        "note": TextAreaField(
            "Note to the curator (optional)",
            description="Anything that helps them check the change, like where you read it",
            widget=GovTextArea(),
        ),
    }
    if scheme_id is not None:
        attributes["scheme_id"] = scheme_id
    return type("ListingForm", (FlaskForm,), attributes)


# Record -> form ---------------------------------------------------------------------------------


def form_data(scheme: cat.Scheme, vocabulary: Vocabulary, version: int | None) -> dict[str, Any]:
    """The form's initial data for a listing."""
    data: dict[str, Any] = {
        "version": "" if version is None else str(version),
        "name": scheme.name,
        "listing_type": scheme.listing_type,
        "provider": scheme.provider,
        "summary": scheme.summary,
        "description": scheme.description,
        "mentoring_types": list(scheme.mentoring_types),
        "access": scheme.access or NOT_STATED,
        "regions_stated": "no" if scheme.regions is None else "yes",
        "regions": list(scheme.regions or []),
        "applications_how": scheme.applications.how or "",
        "applications_timing": scheme.applications.timing,
        "windows": [w.model_dump() for w in scheme.applications.windows] + [{}],
        "url": scheme.url or "",
        "cost": scheme.cost or "",
        "duration": scheme.duration or "",
        "sources": [s.model_dump() for s in scheme.sources] + [{}],
        "status_state": scheme.status.state,
        "status_checked": scheme.status.checked,
        "status_evidence": [s.model_dump() for s in scheme.status.evidence] + [{}],
    }
    for role in vocabulary.slugs("roles"):
        data[f"role_{role}"] = _role_data(scheme.eligibility.get(role), vocabulary)
    return data


def _role_data(block: cat.RoleEligibility | None, vocabulary: Vocabulary) -> dict[str, Any]:
    if block is None:
        return {"offered": False}
    data: dict[str, Any] = {
        "offered": True,
        "evidence": block.evidence or "",
        "reference": block.reference,
        "also_check": "\n".join(block.also_check),
    }
    shape = structured(block.rule, vocabulary)
    if shape is None:
        data["advanced"] = json.dumps(block.rule)
        return data
    data.update(_conditions_data(shape["everyone"]))
    data["ways"] = [_conditions_data(way) for way in shape["ways"]]
    return data


def _conditions_data(conditions: list[dict]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    confirms = []
    for condition in conditions:
        if "confirm" in condition:
            confirms.append(condition["confirm"])
        else:
            data[f"{condition['question']}_values"] = condition["values"]
            data[f"{condition['question']}_mode"] = NOT_IN if condition["negated"] else IN
    data["confirm"] = "\n".join(confirms)
    return data


def structured(rule: dict, vocabulary: Vocabulary) -> dict[str, list] | None:
    """A rule as the form shows it, or None if the form cannot show it: conditions
    everyone must meet ("everyone"), and ways to qualify, at least one of which must
    hold ("ways": each a list of conditions that must all hold). That is a rule
    `all: [conditions..., any: [way, way...], steps...]`, or `any: [way, way...]`."""
    items = rule["all"] if set(rule) == {"all"} else [rule]
    alternatives = [i for i in items if isinstance(i, dict) and set(i) == {"any"}]
    if len(alternatives) > 1 or not all(isinstance(a["any"], list) for a in alternatives):
        return None
    everyone = _conditions([i for i in items if i not in alternatives], vocabulary)
    ways = [
        _conditions(
            way["all"] if isinstance(way, dict) and set(way) == {"all"} else [way], vocabulary
        )
        for alternative in alternatives
        for way in alternative["any"]
    ]
    if everyone is None or None in ways:
        return None
    return {"everyone": everyone, "ways": ways}


def _conditions(items: list, vocabulary: Vocabulary) -> list[dict] | None:
    """Conditions that must all hold, at most one per question, or None if these are not
    conditions the form can show."""
    conditions, seen = [], set()
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            return None
        ((key, value),) = item.items()
        negated = key == "not"
        if negated:
            if not isinstance(value, dict) or len(value) != 1:
                return None
            ((key, value),) = value.items()
        if key == "confirm" and not negated:
            conditions.append({"confirm": value})
        elif key in vocabulary.questions and key not in RULE_QUESTIONS_EXCLUDED and key not in seen:
            seen.add(key)
            values = value if isinstance(value, list) else [value]
            conditions.append(
                {"question": key, "values": [str(v) for v in values], "negated": negated}
            )
        else:
            return None
    return conditions


# Form -> record ---------------------------------------------------------------------------------


def record_data(form, vocabulary: Vocabulary, scheme_id: str, last_verified) -> dict[str, Any]:
    """The raw listing a form describes, ready for editing.validate_scheme."""
    windows = [
        {"opens": w.opens.data, "closes": w.closes.data, "note": w.note.data or None}
        for w in form.windows
        if w.opens.data or w.closes.data
    ]
    sources = _sources(form.sources)
    return {
        "id": scheme_id,
        "name": form.name.data,
        "listing_type": form.listing_type.data,
        "provider": form.provider.data,
        "summary": form.summary.data,
        "description": (form.description.data or "").replace("\r\n", "\n").strip(),
        "mentoring_types": list(form.mentoring_types.data or []),
        "access": form.access.data or None,
        "eligibility": {
            role: _role_record(form[f"role_{role}"], vocabulary)
            for role in vocabulary.slugs("roles")
        },
        "regions": list(form.regions.data or []) if form.regions_stated.data == "yes" else None,
        "applications": {
            "how": form.applications_how.data or None,
            "timing": form.applications_timing.data or "unknown",
            "windows": windows,
        },
        "url": form.url.data or None,
        "cost": form.cost.data or None,
        "duration": form.duration.data or None,
        "sources": sources,
        "status": {
            "state": form.status_state.data or "unknown",
            "evidence": _sources(form.status_evidence),
            "checked": form.status_checked.data,
        },
        "last_verified": last_verified,
    }


def _role_record(role_form, vocabulary: Vocabulary) -> dict[str, Any] | None:
    if not role_form.offered.data:
        return None
    return {
        "rule": rule_from(role_form, vocabulary),
        "evidence": role_form.evidence.data or None,
        "reference": role_form.reference.data or "",
        "also_check": _lines(role_form.also_check.data),
    }


def rule_from(role_form, vocabulary: Vocabulary) -> dict:
    """The rule the structured choices describe (or the kept advanced rule)."""
    if role_form.advanced.data:
        return json.loads(role_form.advanced.data)  # checked by _kept_rule_is_json when submitted
    questions, steps = _question_items(role_form, vocabulary), _step_items(role_form)
    ways = [items for _, items in _filled_ways(role_form, vocabulary)]
    if len(ways) > 1:
        items = [*questions, {"any": [w[0] if len(w) == 1 else {"all": w} for w in ways]}, *steps]
    else:  # one way to qualify is just more conditions
        items = [*questions, *(ways[0] if ways else []), *steps]
    return items[0] if len(items) == 1 else {"all": items}


def _filled_ways(role_form, vocabulary: Vocabulary) -> list[tuple[int, list[dict]]]:
    """The ways to qualify that set a condition, by position in the form, as rule items
    (an empty way is left out of the rule)."""
    return [
        (i, items)
        for i, way in enumerate(role_form.ways)
        if (items := [*_question_items(way, vocabulary), *_step_items(way)])
    ]


def _question_items(conditions_form, vocabulary: Vocabulary) -> list[dict]:
    """The conditions on questions that a set of conditions sets, as rule items."""
    items: list[dict] = []
    for question in vocabulary.questions.values():
        if question.id in RULE_QUESTIONS_EXCLUDED:
            continue
        values = list(conditions_form[f"{question.id}_values"].data or [])
        if not values:
            continue
        condition = {question.id: values[0] if len(values) == 1 else values}
        negated = conditions_form[f"{question.id}_mode"].data == NOT_IN
        items.append({"not": condition} if negated else condition)
    return items


def _step_items(conditions_form) -> list[dict]:
    return [{"confirm": step} for step in _lines(conditions_form.confirm.data)]


def add_way(role_form) -> None:
    """One more way to qualify. The first time, the conditions already chosen become
    the first way, and the second starts empty: "add another way to qualify"."""
    if not role_form.ways.entries:
        first = role_form.ways.append_entry()
        for field in role_form:
            if field.short_name in first.form:
                first.form[field.short_name].data = field.data
                field.data = field.default if field.short_name.endswith("_mode") else None
    role_form.ways.append_entry()


# Problems -> fields -----------------------------------------------------------------------------

_FIELD_NAMES = {
    "applications.how": "applications_how",
    "applications.timing": "applications_timing",
    "id": "scheme_id",
    "status.state": "status_state",
    "status.checked": "status_checked",
}
# Repeated parts of the form, as their headings name them.
_ENTRIES = {"sources": "source", "applications.windows": "window", "status.evidence": "evidence"}
_ENTRY_NAMES = {
    "source": "source {n}",
    "window": "application window {n}",
    "evidence": "evidence {n}",
}

# What to ask for when a field is empty, GOV.UK style: "Enter {noun}".
_NOUNS = {
    "name": "the listing’s name",
    "summary": "a summary",
    "description": "a description",
    "title": "the title of {whose}",
    "quote": "what {whose} says, in the page’s own words",
    "reference": "where the source says who can take part as a {whose} (a web address or document)",
    "evidence": "what the source says about who can take part as a {whose}",
}
EXAMPLE_URL = "https://www.csp.org.uk/mentoring"


def govuk_message(field, message: str, whose: str = "") -> str:
    """A checker's message ("should not be empty") as GOV.UK words naming the field, and
    `whose` it is ("source 2", "mentee") where the form repeats it, so no two read alike."""
    name = field.short_name if field is not None else ""
    label = field.label.text.lower() if field is not None else "a value"
    if message == "should not be empty" or message.startswith("should be text, not None"):
        return "Enter " + _NOUNS.get(name, label).format(whose=whose)
    if message == "quote the page's own words":
        return "Enter " + _NOUNS["quote"].format(whose=whose)
    if message.startswith("should be a web address"):
        if whose:
            return f"Enter the web address of {whose}, starting with https://, like {EXAMPLE_URL}"
        return f"Enter a web address starting with https://, like {EXAMPLE_URL}"
    if message.startswith("should be a date written as YYYY, YYYY-MM"):
        return f"Enter the date {whose} gives, like 2024, 2024-09 or 2024-09-15"
    if message.startswith("should be a date") and name in ("opens", "closes"):
        return f"Enter the date {whose} {name}"
    if message == "closes before it opens":
        return f"The date {whose} closes must be after the date it opens"
    if message.startswith('should be "windows"'):
        return "Select ‘In application windows’, or remove the windows’ dates"
    if message.startswith("give the page that says it is"):
        return "Enter the page that says whether it still runs, with a quotation from it"
    if message == "give a rule for at least one role":
        return "Select at least one way to take part: as a mentee or as a mentor"
    if message.startswith("should be a slug"):
        if name == "provider":
            return "Select the organisation that runs this listing"
        return (
            "Enter a short name for the web address using only lower-case letters, "
            "numbers and hyphens, like csp-peer-mentoring"
        )
    if message.startswith("should be ") and field is not None:
        return f"{field.label.text} must be {message.removeprefix('should be ')}"
    return message


def attach_problems(form, problems: list[tuple[str, str]]) -> None:
    """Show each validation problem beside its field (or at the top if it has none),
    in GOV.UK words, once each."""
    for path, message in problems:
        field, whose = _field_for(form, path)
        message = govuk_message(field, message, whose)
        if field is None:
            if message not in form.form_errors:
                form.form_errors.append(message)
        elif message not in field.errors:
            field.errors = [*list(field.errors), message]


def _field_for(form, path: str) -> tuple[Any, str]:
    """The form field a problem's path names (None if none), and whose it is."""
    for prefix, name in _FIELD_NAMES.items():
        if path == prefix or path.startswith(prefix + "."):
            return form[name], ""
    match = re.match(
        r"^(sources|applications\.windows|status\.evidence)(?:\[(\d+)\])?\.?(\w*)", path
    )
    if match:
        kind = _ENTRIES[match.group(1)]
        entries = {
            "source": form.sources,
            "window": form.windows,
            "evidence": form.status_evidence,
        }[kind]
        index = int(match.group(2) or 0)
        if index >= len(entries.entries):
            return None, ""
        entry = entries.entries[index].form
        part = match.group(3)
        # A problem with the entry as a whole goes to its first field.
        field = entry[part] if part in entry else next(iter(entry))
        return field, _ENTRY_NAMES[kind].format(n=index + 1)
    role = re.match(r"^eligibility(?:\.(\w+))?(?:\.(\w+))?", path)
    if role:
        section = f"role_{role.group(1) or 'mentee'}"
        if section not in form:
            return None, ""
        sub = form[section].form
        part = role.group(2)
        return (sub[part] if part in ("evidence", "reference", "also_check") else sub["offered"]), (
            role.group(1) or ""
        )
    top = path.split(".")[0].split("[")[0]
    return next((field for field in form if field.short_name == top), None), ""


def rule_summary(rule: dict, vocabulary: Vocabulary) -> rules.Condition | None:
    """A kept advanced rule, in plain English, for showing beside the form."""
    node, problems = vocabulary.compiler.compile(rule, LocatedDocument("rule", None), ())
    return rules.describe(vocabulary, node) if node is not None and not problems else None


@dataclasses.dataclass(frozen=True)
class Unmet:
    """What nobody can meet in the rules a form describes, by the rule engine's reckoning:
    the roles whose whole rule, the ways to qualify (role -> positions in the form), and
    why: (role, way position or None) -> the conditions that clash, in words."""

    roles: tuple[str, ...] = ()
    ways: Mapping[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)
    why: Mapping[tuple[str, int | None], str] = dataclasses.field(default_factory=dict)


def unmeetable(form, record: cat.Scheme, vocabulary: Vocabulary) -> Unmet:
    compiled, _ = cat.compile_scheme(record, vocabulary)
    roles, ways, why = [], {}, {}
    for role, role_rule in compiled.by_role.items():
        node = role_rule.rule
        top = node.children if isinstance(node, rules.AllOf) else (node,)
        everyone = tuple(c for c in top if not isinstance(c, rules.AnyOf))
        if not rules.can_be_met(vocabulary, node):
            roles.append(role)
            why[(role, None)] = _clash_in_words(vocabulary, everyone)
        role_form = form[f"role_{role}"].form
        filled = [i for i, _ in _filled_ways(role_form, vocabulary)]
        if role_form.advanced.data or len(filled) < 2 or why.get((role, None)):
            continue  # no ways, or the conditions everyone must meet clash already
        unmet = rules.ways_nobody_meets(vocabulary, node)
        alternatives = next(c for c in top if isinstance(c, rules.AnyOf)).children if unmet else ()
        for i in unmet:
            way = alternatives[i]
            own = way.children if isinstance(way, rules.AllOf) else (way,)
            why[(role, filled[i])] = _clash_in_words(vocabulary, (*everyone, *own))
        if unmet:
            ways[role] = tuple(filled[i] for i in unmet)
    return Unmet(tuple(roles), ways, why)


def _clash_in_words(vocabulary: Vocabulary, conditions) -> str:
    """ "These cannot all be true: you are qualified; you are studying at Level 6." """
    found = [rules.describe(vocabulary, c).text for c in rules.clash(vocabulary, conditions)]
    if not found:
        return ""
    if len(found) == 1:
        return f"Nobody can meet this condition: {found[0]}."
    return f"These cannot all be true: {'; '.join(found)}."


def ask_to_confirm_unmeetable(form, unmet: Unmet) -> bool:
    """Before saving a rule, or a way to qualify, nobody can meet, ask for the box beside
    it to be ticked. True if one is not ticked (nothing should be saved)."""
    asked = False
    for role in (*unmet.roles, *unmet.ways):
        confirmed = form[f"role_{role}"].form.meetable_checked
        if confirmed.data:
            continue
        if role in unmet.roles:
            what = f"Nobody can take part as a {role} under these conditions: change them"
        else:
            numbers = [str(i + 1) for i in unmet.ways[role]]
            ways = (
                f"way {numbers[0]}"
                if len(numbers) == 1
                else f"ways {rules.join_words(numbers, 'and')}"
            )
            its = "its" if len(numbers) == 1 else "their"
            what = f"Nobody can take part as a {role} in {ways}: change {its} conditions"
        confirmed.errors = [f"{what}, or tick the box to keep them"]
        asked = True
    return asked
