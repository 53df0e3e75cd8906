"""One history row (``ElectionTerm``) for each current election recorded before history was kept.

The team elected then is not known: the row says so in its note rather than
guessing it from today's leadership.
"""

from django.db import migrations

NOTE = "由原换届信息生成，当选班子未记录"


def create_terms(apps, schema_editor):
    Election = apps.get_model("orgs", "Election")
    ElectionTerm = apps.get_model("orgs", "ElectionTerm")
    ElectionTerm.objects.bulk_create(
        [
            ElectionTerm(
                organization_id=election.organization_id,
                elected_on=election.last_election,
                term_years=election.term_years,
                team=[],
                note=NOTE,
            )
            for election in Election.objects.all()
        ]
    )


def delete_terms(apps, schema_editor):
    apps.get_model("orgs", "ElectionTerm").objects.filter(note=NOTE).delete()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_keep_history")]

    operations = [migrations.RunPython(create_terms, delete_terms)]
