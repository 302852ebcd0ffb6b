"""The questions a request type asks (Open311 attributes): the one check of their answers.

`clean_answers` is called by `services.service_request_submit`, so the API, the portal,
Open311 and any later interface refuse the same wrong answers with the same messages.
Answers are stored as JSON, keyed by the question's code:

- string, text: the text;
- number: a JSON number (an integer when it has no fraction);
- datetime: ISO 8601 text (with the server's time zone when none was given), or a date;
- singlevaluelist: the chosen value's key; multivaluelist: a list of keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.exceptions import ServiceError

from .models import AttributeDatatype, RequestAttribute, RequestType, ServiceRequest

Datatype = AttributeDatatype
STRING_MAX_LENGTH = 300
TEXT_MAX_LENGTH = 4000
NUMBER_MAX_LENGTH = 40


class InvalidAnswers(ServiceError):
    """Some answers do not fit their questions; `errors` maps each question's code to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        code, messages = next(iter(errors.items()))
        super().__init__(f"attributes.{code}: {messages[0]}", details={"attributes": errors})
        self.errors = errors


def questions_of(request_type: RequestType) -> list[RequestAttribute]:
    """The type's questions in the order they are asked (uses a prefetch when there is one)."""
    return sorted(request_type.attributes.all(), key=lambda attribute: (attribute.order, attribute.pk))


def _safe_key(code) -> str:
    """An unknown code as it can be echoed in an error: short, and encodable (no lone surrogates)."""
    return str(code)[:64].encode("utf-8", "replace").decode("utf-8")


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _clean_one(question: RequestAttribute, value):
    """Return the answer normalised for storage, or raise ValueError with the message to show."""
    datatype = question.datatype
    if datatype != Datatype.MULTIVALUELIST and isinstance(value, list) and len(value) == 1:
        value = value[0]  # attribute[code][]=x for a one-value question
    if datatype in (Datatype.STRING, Datatype.TEXT, Datatype.DATETIME, Datatype.SINGLEVALUELIST):
        if not isinstance(value, str):
            raise ValueError("Send the answer as text.")
        value = value.strip()
    if datatype == Datatype.STRING:
        if "\n" in value or "\r" in value:
            raise ValueError("Keep this answer on one line.")
        if len(value) > STRING_MAX_LENGTH:
            raise ValueError(f"Keep this answer under {STRING_MAX_LENGTH} characters.")
        return value
    if datatype == Datatype.TEXT:
        if len(value) > TEXT_MAX_LENGTH:
            raise ValueError(f"Keep this answer under {TEXT_MAX_LENGTH} characters.")
        return value
    if datatype == Datatype.NUMBER:
        return _clean_number(value)
    if datatype == Datatype.DATETIME:
        return _clean_datetime(value)
    choices = question.value_names
    if datatype == Datatype.SINGLEVALUELIST:
        if value not in choices:
            raise ValueError(f"Choose one of: {', '.join(choices)}.")
        return value
    # multivaluelist: a list of keys (a single key is a list of one)
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise ValueError("Send a list of choices.")
    keys = [key.strip() for key in keys if key.strip()]
    unknown = [key for key in keys if key not in choices]
    if unknown:
        raise ValueError(f"{', '.join(unknown)[:100]}: not a choice. Choose from: {', '.join(choices)}.")
    return list(dict.fromkeys(keys))  # each key once, in the order given


def _clean_number(value) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("Enter a number.")
    text = str(value).strip()
    if len(text) > NUMBER_MAX_LENGTH:
        raise ValueError("Enter a shorter number.")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("Enter a number, e.g. 4512 or 12.5.") from None
    as_float = float(number) if number.is_finite() else math.inf
    if not math.isfinite(as_float):
        raise ValueError("Enter a finite number.")
    if number == number.to_integral_value() and abs(number) < 2**53:
        return int(number)
    return as_float


def _clean_datetime(value: str) -> str:
    message = "Enter a date and time in ISO 8601, e.g. 2026-05-01T09:30:00+01:00, or a date, e.g. 2026-05-01."
    try:
        moment = parse_datetime(value)
        day = None if moment else parse_date(value)
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        raise ValueError(message) from None
    if moment is not None:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.isoformat()
    if day is not None:
        return day.isoformat()
    raise ValueError(message)


def clean_answers(request_type: RequestType, answers: Mapping | None) -> dict:
    """Check `answers` ({code: value}) against the type's questions; return them normalised.

    Every wrong answer is reported at once, keyed by its code: an unknown code, a value
    of the wrong kind, a choice not on the list, a required question left blank. A
    required question is not enforced for emergency types: a report of an escape of gas
    is never refused for a missing answer.
    """
    answers = answers or {}
    if not isinstance(answers, Mapping):
        raise InvalidAnswers({"non_field_errors": ["Send the answers as an object: {code: answer}."]})
    questions = {question.code: question for question in questions_of(request_type)}
    errors: dict[str, list[str]] = {}
    for code in answers:
        question = questions.get(code)
        if question is None:
            asked = ", ".join(code for code, question in questions.items() if question.variable) or "none"
            errors[_safe_key(code)] = [f"{request_type.name} does not ask this. Its questions: {asked}."]
        elif not question.variable:
            errors[code] = ["This is information for the reporter, not a question: it takes no answer."]
    cleaned = {}
    for code, question in questions.items():
        value = answers.get(code)
        if not question.variable or code in errors:
            continue
        if _is_blank(value):
            if question.required and not request_type.is_emergency:
                errors[code] = ["This question must be answered."]
            continue
        try:
            cleaned[code] = _clean_one(question, value)
        except ValueError as exc:
            errors[code] = [str(exc)]
    if errors:
        raise InvalidAnswers(errors)
    return cleaned


def describe_answers(service_request: ServiceRequest) -> list[dict]:
    """The request's answers for people: each question's text and the answer's readable form.

    Answers to questions removed since are still listed, under their code.
    """
    answers = dict(service_request.attributes or {})
    rows = []
    for question in questions_of(service_request.request_type):
        if question.code in answers:
            rows.append(_row(question.code, question.description, answers.pop(question.code), question))
    rows += [_row(code, code, value, None) for code, value in answers.items()]
    return rows


def _row(code: str, question: str, value, definition: RequestAttribute | None) -> dict:
    names = definition.value_names if definition is not None else {}
    if isinstance(value, list):
        display = ", ".join(names.get(str(key), str(key)) for key in value)
    else:
        display = names.get(str(value), str(value))
    return {"code": code, "question": question, "value": value, "display": display}
