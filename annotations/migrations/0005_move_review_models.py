"""The review models moved to the review app: Django's state forgets them here, review.0001 learns them
again with the same tables (db_table). Nothing in the database changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('annotations', '0004_review'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='autoacceptrule',
                    name='dataset',
                ),
                migrations.RemoveField(
                    model_name='dialoguereview',
                    name='dialogue',
                ),
                migrations.RemoveField(
                    model_name='dialoguereview',
                    name='reviewer',
                ),
                migrations.RemoveField(
                    model_name='dialoguereviewstate',
                    name='dataset',
                ),
                migrations.RemoveField(
                    model_name='dialoguereviewstate',
                    name='dialogue',
                ),
                migrations.RemoveField(
                    model_name='dialoguereviewstate',
                    name='locked_by',
                ),
                migrations.RemoveField(
                    model_name='labelreview',
                    name='dialogue',
                ),
                migrations.RemoveField(
                    model_name='labelreview',
                    name='label',
                ),
                migrations.RemoveField(
                    model_name='labelreview',
                    name='reviewer',
                ),
                migrations.DeleteModel(
                    name='Adjudication',
                ),
                migrations.DeleteModel(
                    name='AutoAcceptRule',
                ),
                migrations.DeleteModel(
                    name='DialogueReview',
                ),
                migrations.DeleteModel(
                    name='DialogueReviewState',
                ),
                migrations.DeleteModel(
                    name='LabelReview',
                ),
            ],
        ),
    ]
