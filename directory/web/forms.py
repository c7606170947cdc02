"""Forms. The checker's forms are built from the vocabulary's questions, so a
question added to data/vocabulary.yaml appears in the checker with no code."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    EmailField,
    FieldList,
    Form,
    FormField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from directory.accounts import check_password_strength
from directory.rules import NONE_OF_THESE, NOT_SURE
from directory.vocabulary import Question, Vocabulary

NOT_SURE_LABEL = "I’m not sure"


class CheckerForm(FlaskForm):
    """One or more checker questions. Submitted with GET: answers live in the URL only."""

    class Meta:
        csrf = False  # a GET form that changes nothing on the server

    @classmethod
    def for_questions(cls, vocabulary: Vocabulary, question_ids: list[str], formdata):
        form_class = type("CheckerQuestionsForm", (cls,), {})
        for question_id in question_ids:
            setattr(form_class, question_id, _field(vocabulary, vocabulary.questions[question_id]))
        return form_class(formdata=formdata)


def choices(vocabulary: Vocabulary, question: Question) -> list[tuple[str, str]]:
    options = [(term.slug, term.label) for term in vocabulary.question_terms(question.id)]
    if question.multiple:
        options.append((NONE_OF_THESE, question.none_label or "None of these"))
    return [*options, (NOT_SURE, NOT_SURE_LABEL)]


def _field(vocabulary: Vocabulary, question: Question):
    options = [SelectChoice(value, label) for value, label in choices(vocabulary, question)]
    required = InputRequired(message=question.error)
    if question.multiple:
        return SelectMultipleField(
            question.text, choices=options, validators=[required, _on_its_own(question)]
        )
    field_class = SelectField if question.widget == "select" else RadioField
    return field_class(question.text, choices=options, validators=[required], validate_choice=True)


def _on_its_own(question: Question):
    """ "None of these" cannot be ticked with anything else. "I'm not sure" can: ticked
    with some options it means "these, and I'm not sure about the rest"."""
    none_label = question.none_label or "None of these"

    def check(form, field):
        chosen = set(field.data or [])
        if NONE_OF_THESE in chosen and len(chosen) > 1:
            raise ValidationError(f"Select ‘{none_label}’ on its own, or untick it")

    return check


# Signing in -------------------------------------------------------------------------------------


def required(thing: str, verb: str = "Enter"):
    """GOV.UK wording for a missing answer: required("your email address")."""
    return InputRequired(message=f"{verb} {thing}")


class StripWhitespaceForm(FlaskForm):
    """Strips surrounding whitespace from every text field except passwords."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if unbound_field.field_class not in (PasswordField, FieldList, FormField):
                options.setdefault("filters", []).append(_strip)
            return unbound_field.bind(form=form, **options)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignInForm(StripWhitespaceForm):
    email = EmailField(
        "Email address",
        validators=[required("your email address")],
        widget=GovTextInput(),
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[required("your password")],
        widget=GovPasswordInput(),  # autocomplete: the template's params (the macro sets one)
    )


class ForgotPasswordForm(StripWhitespaceForm):
    email = EmailField(
        "Email address",
        validators=[required("your email address")],
        widget=GovTextInput(),
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[required("a new password")],
        widget=GovPasswordInput(),
        description="At least 12 characters. A few unrelated words make a strong password "
        "that is easy to remember.",
    )

    def validate_password(self, field):
        """Said beside the password even when the two passwords also differ."""
        problem = check_password_strength(field.data or "")
        if problem:
            raise ValidationError(problem)

    confirm = PasswordField(
        "Confirm new password",
        validators=[
            required("your new password again"),
            EqualTo("password", message="Passwords must match"),
        ],
        widget=GovPasswordInput(),
    )


# Curators' forms ---------------------------------------------------------------------------------


class InviteForm(StripWhitespaceForm):
    email = EmailField(
        "Email address", validators=[required("their email address")], widget=GovTextInput()
    )
    name = StringField("Name", validators=[required("their name")], widget=GovTextInput())
    role = RadioField(
        "Role",
        choices=[
            SelectChoice(
                "hub_lead", "Hub lead: edits their organisations’ listings, changes need approval"
            ),
            SelectChoice("curator", "Curator: manages everything and publishes directly"),
        ],
        validators=[required("a role", verb="Select")],
        widget=GovRadioInput(),
    )
    organisations = SelectMultipleField(
        "Organisations (for hub leads)",
        choices=[],
        widget=GovCheckboxesInput(),
        validate_choice=True,
    )


class OrganisationSourceForm(Form):
    """Where a fact about the organisation came from."""

    title = StringField("Title of the page or document", widget=GovTextInput())
    url = StringField("Web address", widget=GovTextInput())
    date = StringField(
        "Date the page gives",
        description="As the page gives it: 2024, 2024-09 or 2024-09-15",
        widget=GovTextInput(),
    )
    quote = TextAreaField("What it says, in its own words", widget=GovTextArea())
    note = StringField("Note", widget=GovTextInput())


class OrganisationForm(StripWhitespaceForm):
    id = StringField(
        "Short name for web addresses",
        description="For example: college-of-paramedics",
        widget=GovTextInput(),
    )
    name = StringField(
        "Name", validators=[required("the organisation’s name")], widget=GovTextInput()
    )
    abbreviation = StringField("Abbreviation", widget=GovTextInput())
    kind = RadioField(
        "Type", choices=[], validators=[required("a type", verb="Select")], widget=GovRadioInput()
    )
    url = StringField(
        "Website", description="Only an address from a source you have read", widget=GovTextInput()
    )
    description = TextAreaField("Description", widget=GovTextArea())
    programmes = TextAreaField(
        "Courses (universities and colleges only)",
        description="One per line, as short name: full name. For example: "
        "bsc-physiotherapy: BSc (Hons) Physiotherapy. Students on these courses "
        "can then be asked about local schemes.",
        widget=GovTextArea(),
    )
    sources = FieldList(FormField(OrganisationSourceForm), min_entries=1)


# Reporting a problem with a listing (public, no account) ------------------------------------------

REPORT_CATEGORIES = [
    ("out-of-date", "Something is out of date"),
    ("wrong", "Something is wrong"),
    ("broken-link", "A link does not work"),
    ("other", "Something else"),
]


class ReportProblemForm(StripWhitespaceForm):
    category = RadioField(
        "What is the problem?",
        choices=[SelectChoice(v, t) for v, t in REPORT_CATEGORIES],
        validators=[required("what the problem is", verb="Select")],
        widget=GovRadioInput(),
    )
    message = TextAreaField(
        "Tell us more",
        description="Do not include personal details such as your name, "
        "email address or phone number.",
        validators=[
            required("what is wrong with the listing"),
            Length(max=1000, message="Tell us more must be 1,000 characters or fewer"),
        ],
        widget=GovTextArea(),
    )
    # Hidden from people (and from assistive technology); bots fill it in.
    website = StringField("Leave this empty", render_kw={"autocomplete": "off", "tabindex": "-1"})
