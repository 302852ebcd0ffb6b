"""Request types get a stable code (Open311's service_code), a group and keywords; types ask
questions (RequestAttribute) whose answers a request keeps in `attributes`.

Existing types get a code made from their name; the seeded types get their questions.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.utils.text import slugify

from utility_services.catalogue import GROUPS_AND_KEYWORDS, QUESTIONS


def seed(apps, schema_editor):
    RequestType = apps.get_model("utility_services", "RequestType")
    RequestAttribute = apps.get_model("utility_services", "RequestAttribute")
    used = set()
    for request_type in RequestType.objects.order_by("pk"):
        code = slugify(request_type.name)[:56] or "type"
        if code in used:
            code = f"{code}-{request_type.pk}"
        used.add(code)
        group, keywords = GROUPS_AND_KEYWORDS.get(request_type.name, ("", ""))
        request_type.code, request_type.group, request_type.keywords = code, group, keywords
        request_type.save(update_fields=["code", "group", "keywords"])
        for order, (code, question, datatype, required, hint, values) in enumerate(
            QUESTIONS.get(request_type.name, []), start=1
        ):
            RequestAttribute.objects.update_or_create(
                request_type=request_type,
                code=code,
                defaults={
                    "description": question,
                    "order": order,
                    "datatype": datatype,
                    "required": required,
                    "datatype_description": hint,
                    "values": values,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("utility_services", "0006_requestevent_kind_emergency")]

    operations = [
        migrations.AddField(
            model_name="requesttype",
            name="code",
            field=models.SlugField(max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="requesttype",
            name="group",
            field=models.CharField(blank=True, help_text="A category clients group types by (Open311).", max_length=64),
        ),
        migrations.AddField(
            model_name="requesttype",
            name="keywords",
            field=models.CharField(
                blank=True,
                help_text="Comma-separated synonyms that help people find this type (Open311).",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="requesttype",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True,
                default=django.utils.timezone.now,
                help_text="Last change to the type or its questions.",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="servicerequest",
            name="attributes",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.CreateModel(
            name="RequestAttribute",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "code",
                    models.CharField(
                        help_text="Stable identifier of the question, unique within the type; answers are keyed by it.",
                        max_length=64,
                        validators=[
                            django.core.validators.RegexValidator(
                                message="Use letters, digits and underscores only (it is sent as attribute[code]).",
                                regex="^[A-Za-z0-9_]+\\Z",
                            )
                        ],
                    ),
                ),
                (
                    "description",
                    models.CharField(help_text="The question, as the person answering reads it.", max_length=300),
                ),
                (
                    "order",
                    models.PositiveSmallIntegerField(
                        help_text="Position in the form: 1 first. Unique within the type."
                    ),
                ),
                (
                    "datatype",
                    models.CharField(
                        choices=[
                            ("string", "Short text (one line)"),
                            ("number", "Number"),
                            ("datetime", "Date and time"),
                            ("text", "Long text"),
                            ("singlevaluelist", "One choice from a list"),
                            ("multivaluelist", "Several choices from a list"),
                        ],
                        default="string",
                        max_length=16,
                    ),
                ),
                (
                    "required",
                    models.BooleanField(
                        default=False,
                        help_text="An answer is needed to submit. Never enforced for emergency types: an emergency report is not refused for a missing answer.",
                    ),
                ),
                (
                    "variable",
                    models.BooleanField(
                        default=True,
                        help_text="Untick for information shown to the reporter that is not a question.",
                    ),
                ),
                (
                    "datatype_description",
                    models.CharField(
                        blank=True,
                        help_text="A hint on the expected format, e.g. 'The 5 black digits'.",
                        max_length=200,
                    ),
                ),
                (
                    "values",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text='The choices of a list question: [{"key": ..., "name": ...}, ...].',
                    ),
                ),
                (
                    "request_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attributes",
                        to="utility_services.requesttype",
                    ),
                ),
            ],
            options={
                "ordering": ["request_type", "order", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("request_type", "code"), name="attribute_code_unique"),
                    models.UniqueConstraint(fields=("request_type", "order"), name="attribute_order_unique"),
                    models.CheckConstraint(condition=models.Q(("order__gte", 1)), name="attribute_order_positive"),
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "datatype__in",
                                ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
                            )
                        ),
                        name="attribute_datatype_valid",
                    ),
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="requesttype",
            name="code",
            field=models.SlugField(
                help_text="Stable identifier for API clients (Open311's service_code): letters, digits, - and _. Changing it breaks the clients that use it.",
                max_length=64,
                unique=True,
            ),
        ),
    ]
