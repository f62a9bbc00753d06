"""Category descriptions and calls to action are Markdown; stored HTML keeps term links.

The HTML stored before kept no ``term:`` link (the sanitiser dropped the href), so the few
rows whose Markdown has one are rendered again.
"""

import django.core.validators
from django.db import migrations, models

import terms.text
from terms.markdown import render_markdown


def render_term_links_again(apps, schema_editor):
    Term = apps.get_model("terms", "Term")
    FAQ = apps.get_model("terms", "FAQ")
    linking = models.Q(definition__icontains="term:") | models.Q(why_it_matters__icontains="term:")
    for pk, definition, why in Term.objects.filter(linking).values_list(
        "pk", "definition", "why_it_matters"
    ):
        Term.objects.filter(pk=pk).update(
            definition_html=render_markdown(definition),
            why_it_matters_html=render_markdown(why),
        )
    for pk, answer in FAQ.objects.filter(answer__icontains="term:").values_list("pk", "answer"):
        FAQ.objects.filter(pk=pk).update(answer_html=render_markdown(answer))


class Migration(migrations.Migration):
    dependencies = [
        ("terms", "0018_review_dates_of_published_terms"),
    ]

    operations = [
        migrations.RunPython(render_term_links_again, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="category",
            name="description",
            field=models.TextField(
                blank=True,
                help_text="Markdown. Shown at the top of the category's page.",
                verbose_name="description",
            ),
        ),
        migrations.AlterField(
            model_name="sitesettings",
            name="default_cta_body",
            field=models.TextField(
                default="Our advisory team helps businesses adopt AI strategically. Let's discuss how {term} fits into your AI roadmap.",
                help_text="Markdown. At most 1,000 characters. {term} is replaced by the term's title; no other braces.",
                max_length=1000,
                validators=[
                    terms.text.validate_cta_template,
                    django.core.validators.MaxLengthValidator(1000),
                ],
                verbose_name="default call-to-action text",
            ),
        ),
        migrations.AlterField(
            model_name="term",
            name="cta_body",
            field=models.TextField(
                blank=True,
                help_text="Markdown. Leave empty for the site-wide default pitch. At most 1,000 characters; {term} is replaced by the title, no other braces.",
                validators=[
                    terms.text.validate_cta_template,
                    django.core.validators.MaxLengthValidator(1000),
                ],
                verbose_name="call-to-action text",
            ),
        ),
    ]
