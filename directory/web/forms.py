"""Forms. The checker's forms are built from the vocabulary's questions, so a
question added to data/vocabulary.yaml appears in the checker with no code."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

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
    """ "None of these" and "I'm not sure" cannot be ticked with anything else."""
    none_label = question.none_label or "None of these"

    def check(form, field):
        chosen = set(field.data or [])
        for special, label in ((NONE_OF_THESE, none_label), (NOT_SURE, NOT_SURE_LABEL)):
            if special in chosen and len(chosen) > 1:
                raise ValidationError(f"Select ‘{label}’ on its own, or untick it")

    return check
