"""Who is told of new inquiries and the acknowledgement switch leave the Editors' site
settings: advisory 0007 copied them to the Advisory team's LeadRouting first."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("terms", "0012_call_to_action_and_one_line_rules"),
        ("advisory", "0007_lead_routing"),
    ]

    operations = [
        migrations.RemoveField(model_name="sitesettings", name="inquiry_recipients"),
        migrations.RemoveField(model_name="sitesettings", name="send_inquiry_acknowledgement"),
    ]
