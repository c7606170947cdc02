"""The form for editing a listing: every field, and the rules as structured choices.

The form is built from the vocabulary (a new question becomes a new rule
section with no code). A rule is edited as one condition per question
("profession is one of ...", or "is not one of ...") plus steps to confirm,
all of which must hold. That covers every rule in the catalogue; a rule
written in YAML with `any` across questions is shown as it is and kept.
"""

from __future__ import annotations

import json
import re
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

    def __init__(self, label: str, **kwargs):
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and len(valuelist) != 3:
            self.raw_data = [*valuelist, "", "", ""][:3]  # three boxes to redraw, not empty
            self.data = None
            raise ValueError("Enter the date as a day, a month and a year")
        super().process_formdata(valuelist)


class WindowForm(Form):
    opens = DayMonthYearField("Opens", validators=[Optional()])
    closes = DayMonthYearField("Closes", validators=[Optional()])
    note = StringField("Note", widget=GovTextInput(), validators=[Optional()])


def _json_rule(form, field) -> None:
    if field.data:
        try:
            json.loads(field.data)
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


def role_form_class(vocabulary: Vocabulary) -> type[Form]:
    """Who can take part in one role: a condition per question, steps, evidence."""
    attributes: dict[str, Any] = {
        "offered": BooleanField(
            "This listing describes a way to take part in this role", widget=GovCheckboxInput()
        ),
        "confirm": TextAreaField(
            "Steps to confirm with the provider, one per line",
            description="For example: ask your employer whether it runs a mentoring scheme",
            widget=GovTextArea(),
        ),
        "evidence": TextAreaField("What the source says (a quotation)", widget=GovTextArea()),
        "reference": StringField(
            "Where it says it (web address or document)", widget=GovTextInput()
        ),
        "also_check": TextAreaField("Also check, one note per line", widget=GovTextArea()),
        "advanced": HiddenField(validators=[_json_rule]),  # a rule the form cannot show, as JSON
    }
    for question in vocabulary.questions.values():
        if question.id in RULE_QUESTIONS_EXCLUDED:
            continue
        term_set = vocabulary.term_sets[question.term_set]
        options = [(g.slug, g.label) for g in term_set.groups] + [
            (t.slug, t.label) for t in term_set.terms
        ]
        attributes[f"{question.id}_values"] = SelectMultipleField(
            term_set.label,
            choices=_choices(options),
            widget=GovCheckboxesInput(),
            validate_choice=True,
        )
        attributes[f"{question.id}_mode"] = RadioField(
            f"How {term_set.label.lower()} applies",
            choices=_choices(
                [(IN, "Must be one of the ticked"), (NOT_IN, "Must not be any of the ticked")]
            ),
            default=IN,
            widget=GovRadioInput(),
        )
    return type("RoleForm", (Form,), attributes)


def listing_form_class(vocabulary: Vocabulary, provider_choices: list[tuple[str, str]], new: bool):
    def terms(set_name: str, with_groups: bool = False):
        term_set = vocabulary.term_sets[set_name]
        groups = [(g.slug, g.label) for g in term_set.groups] if with_groups else []
        return _choices(groups + [(t.slug, t.label) for t in term_set.terms])

    role_form = role_form_class(vocabulary)
    attributes: dict[str, Any] = {
        "version": HiddenField(),  # the published version the editor started from
        # After a conflict: the version whose overlapping fields the editor has seen.
        "accepted_version": HiddenField(),
        "note": TextAreaField(
            "Note to the curator (optional)",
            description="Anything that helps them check the change, like where you read it",
            widget=GovTextArea(),
        ),
        "name": StringField("Name", widget=GovTextInput()),
        "listing_type": RadioField(
            "Type of listing", choices=terms("listing_types"), widget=GovRadioInput()
        ),
        "provider": SelectField("Provider", choices=_choices(provider_choices), widget=GovSelect()),
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
        "url": StringField("Web address of the scheme", widget=GovTextInput()),
        "cost": StringField("Cost", widget=GovTextInput()),
        "duration": StringField("How long it lasts", widget=GovTextInput()),
        "sources": FieldList(FormField(SourceForm), min_entries=1),
        "status_state": RadioField(
            "Does it still run?",
            choices=terms("statuses"),
            default="unknown",
            widget=GovRadioInput(),
        ),
        "status_checked": DayMonthYearField("When you checked", validators=[Optional()]),
        "status_evidence": FieldList(FormField(SourceForm), min_entries=1),
        **{f"role_{role}": FormField(role_form) for role in vocabulary.slugs("roles")},
    }
    if new:
        attributes["scheme_id"] = StringField(
            "Short name for the web address",
            description="Lower-case letters, numbers and hyphens, "
            "for example ljmu-physio-peer-mentoring",
            widget=GovTextInput(),
        )
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
    conditions = structured(block.rule, vocabulary)
    if conditions is None:
        data["advanced"] = json.dumps(block.rule)
        return data
    confirms = []
    for condition in conditions:
        if "confirm" in condition:
            confirms.append(condition["confirm"])
        else:
            data[f"{condition['question']}_values"] = condition["values"]
            data[f"{condition['question']}_mode"] = NOT_IN if condition["negated"] else IN
    data["confirm"] = "\n".join(confirms)
    return data


def structured(rule: dict, vocabulary: Vocabulary) -> list[dict] | None:
    """A rule as conditions (all must hold), or None if it needs `any` or nesting."""
    items = rule["all"] if set(rule) == {"all"} else [rule]
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
        return json.loads(role_form.advanced.data)  # checked by _json_rule when submitted
    conditions: list[dict] = []
    for question in vocabulary.questions.values():
        if question.id in RULE_QUESTIONS_EXCLUDED:
            continue
        values = list(role_form[f"{question.id}_values"].data or [])
        if not values:
            continue
        condition = {question.id: values[0] if len(values) == 1 else values}
        negated = role_form[f"{question.id}_mode"].data == NOT_IN
        conditions.append({"not": condition} if negated else condition)
    conditions += [{"confirm": step} for step in _lines(role_form.confirm.data)]
    return conditions[0] if len(conditions) == 1 else {"all": conditions}


# Problems -> fields -----------------------------------------------------------------------------

_FIELD_NAMES = {
    "applications.how": "applications_how",
    "applications.timing": "applications_timing",
    "id": "scheme_id",
    "status.state": "status_state",
    "status.checked": "status_checked",
    "status.evidence": "status_evidence",
}


def attach_problems(form, problems: list[tuple[str, str]]) -> None:
    """Show each validation problem beside its field (or at the top if it has none)."""
    for path, message in problems:
        field = _field_for(form, path)
        if field is None:
            form.form_errors.append(f"{path}: {message}" if path else message)
        else:
            field.errors = [*list(field.errors), message]


def _field_for(form, path: str):
    for prefix, name in _FIELD_NAMES.items():
        if path == prefix or path.startswith(prefix + "."):
            return form._fields.get(name)
    match = re.match(r"^(sources|applications\.windows|status\.evidence)\[(\d+)\]\.?(\w*)", path)
    if match:
        entries = {
            "sources": form.sources,
            "applications.windows": form.windows,
            "status.evidence": form.status_evidence,
        }[match.group(1)]
        index = int(match.group(2))
        if index < len(entries.entries):
            entry = entries.entries[index]
            return (
                entry[match.group(3)]
                if match.group(3) in entry.form
                else entry.form[next(iter(entry.form._fields))]
            )
        return None
    role = re.match(r"^eligibility\.(\w+)(?:\.(\w+))?", path)
    if role:
        section = f"role_{role.group(1)}"
        if section not in form:
            return None
        part = role.group(2)
        sub = form[section].form
        if part in ("evidence", "reference", "also_check"):
            return sub[part]
        return sub["offered"]
    top = path.split(".")[0].split("[")[0]
    return form._fields.get(top)


def rule_summary(rule: dict, vocabulary: Vocabulary) -> rules.Condition | None:
    """A kept advanced rule, in plain English, for showing beside the form."""
    node, problems = vocabulary.compiler.compile(rule, LocatedDocument("rule", None), ())
    return rules.describe(vocabulary, node) if node is not None and not problems else None
