"""Validation only, no change to stored rows: the call to action takes {term} as its
only placeholder (at most 1,000 characters of text), and the organisation name, which
reaches email subjects, is one line."""

import django.core.validators
import terms.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("terms", "0011_former_slugs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sitesettings",
            name="default_cta_body",
            field=models.TextField(
                default="Our advisory team helps businesses adopt AI strategically. Let's discuss how {term} fits into your AI roadmap.",
                help_text="At most 1,000 characters. {term} is replaced by the term's title; no other braces.",
                max_length=1000,
                validators=[
                    terms.text.validate_cta_template,
                    django.core.validators.MaxLengthValidator(1000),
                ],
                verbose_name="default call-to-action text",
            ),
        ),
        migrations.AlterField(
            model_name="sitesettings",
            name="default_cta_heading",
            field=models.CharField(
                default="Need help implementing {term}?",
                help_text="{term} is replaced by the term's title, e.g. “Need help implementing {term}?”; no other braces.",
                max_length=200,
                validators=[terms.text.validate_cta_template],
                verbose_name="default call-to-action heading",
            ),
        ),
        migrations.AlterField(
            model_name="sitesettings",
            name="organisation_name",
            field=models.CharField(
                default="AI Advisory",
                help_text="One line, e.g. “Northwind Advisory”: it is shown in the footer, in the consent wording and in the subject of the email visitors get.",
                max_length=200,
                validators=[terms.text.validate_one_line],
                verbose_name="organisation name",
            ),
        ),
        migrations.AlterField(
            model_name="term",
            name="cta_body",
            field=models.TextField(
                blank=True,
                help_text="Leave empty for the site-wide default pitch. At most 1,000 characters; {term} is replaced by the title, no other braces.",
                validators=[
                    terms.text.validate_cta_template,
                    django.core.validators.MaxLengthValidator(1000),
                ],
                verbose_name="call-to-action text",
            ),
        ),
        migrations.AlterField(
            model_name="term",
            name="cta_heading",
            field=models.CharField(
                blank=True,
                help_text="Leave empty for the site-wide default, “Need help implementing {term}?”. {term} is replaced by the title; no other braces.",
                max_length=200,
                validators=[terms.text.validate_cta_template],
                verbose_name="call-to-action heading",
            ),
        ),
    ]
