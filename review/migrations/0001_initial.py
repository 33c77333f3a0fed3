"""The review models, moved from annotations without touching a table: each keeps the table it had
(db_table), so this migration only teaches Django's state about them, and moves their content types
(and with them their permissions and admin history) from the annotations app to this one."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = ["adjudication", "autoacceptrule", "dialoguereview", "dialoguereviewstate", "labelreview"]


def _move_content_types(apps, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        # On a database migrated before the move the old content type exists and keeps its id (and so
        # its permissions); a fresh database has none yet and gets the new one after migrating.
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types(apps, schema_editor) -> None:
    _move_content_types(apps, "annotations", "review")


def move_content_types_back(apps, schema_editor) -> None:
    _move_content_types(apps, "review", "annotations")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('annotations', '0005_move_review_models'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Adjudication',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField()),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('dataset', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotations.dataset')),
                        ('label', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='adjudication', to='annotations.label')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'annotations_adjudication',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['dataset', 'resolved_at', 'id'], name='adjudication_open')],
                    },
                ),
                migrations.CreateModel(
                    name='AutoAcceptRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('intent', 'Intent'), ('slots', 'Slots'), ('failure_point', 'Failure point'), ('rephrase_of', 'Rephrase of'), ('defect', 'Defect'), ('goal_segments', 'Goal segments'), ('goal_success', 'Goal success')], max_length=20)),
                        ('threshold', models.FloatField()),
                        ('dataset', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='auto_accept_rules', to='annotations.dataset')),
                    ],
                    options={
                        'db_table': 'annotations_autoacceptrule',
                        'constraints': [models.UniqueConstraint(fields=('dataset', 'kind'), name='autoaccept_unique_kind'), models.CheckConstraint(condition=models.Q(('threshold__gte', 0), ('threshold__lte', 1)), name='autoaccept_threshold_in_unit_interval')],
                    },
                ),
                migrations.CreateModel(
                    name='DialogueReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('done', 'Done'), ('skipped', 'Skipped')], max_length=8)),
                        ('updated_at', models.DateTimeField()),
                        ('dialogue', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='dialogue_reviews', to='annotations.dialogue')),
                        ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dialogue_reviews', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'annotations_dialoguereview',
                        'constraints': [models.UniqueConstraint(fields=('dialogue', 'reviewer'), name='dialoguereview_unique_reviewer')],
                    },
                ),
                migrations.CreateModel(
                    name='DialogueReviewState',
                    fields=[
                        ('dialogue', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='review_state', serialize=False, to='annotations.dialogue')),
                        ('is_open', models.BooleanField(default=False)),
                        ('awaiting', models.PositiveIntegerField(default=0)),
                        ('min_confidence', models.FloatField(default=1.0)),
                        ('disagreement', models.PositiveIntegerField(default=0)),
                        ('reviews_done', models.PositiveSmallIntegerField(default=0)),
                        ('random_key', models.IntegerField()),
                        ('locked_until', models.DateTimeField(blank=True, null=True)),
                        ('updated_at', models.DateTimeField()),
                        ('dataset', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotations.dataset')),
                        ('locked_by', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'annotations_dialoguereviewstate',
                        'indexes': [models.Index(condition=models.Q(('is_open', True)), fields=['dataset', 'min_confidence', 'dialogue'], name='reviewqueue_confidence'), models.Index(condition=models.Q(('is_open', True)), fields=['dataset', '-disagreement', 'min_confidence', 'dialogue'], name='reviewqueue_disagreement'), models.Index(condition=models.Q(('is_open', True)), fields=['dataset', 'random_key'], name='reviewqueue_random'), models.Index(condition=models.Q(('locked_by__isnull', False)), fields=['locked_by', 'dataset'], name='reviewqueue_holder')],
                    },
                ),
                migrations.CreateModel(
                    name='LabelReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('decision', models.CharField(choices=[('accept', 'Accept'), ('correct', 'Correct'), ('reject', 'Reject')], max_length=8)),
                        ('proposed', models.JSONField(blank=True, null=True)),
                        ('value', models.JSONField(blank=True, null=True)),
                        ('created_at', models.DateTimeField()),
                        ('updated_at', models.DateTimeField()),
                        ('dialogue', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='label_reviews', to='annotations.dialogue')),
                        ('label', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='reviews', to='annotations.label')),
                        ('reviewer', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='label_reviews', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'annotations_labelreview',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['dialogue', 'reviewer'], name='labelreview_dialogue_reviewer')],
                        'constraints': [models.UniqueConstraint(fields=('label', 'reviewer'), name='labelreview_unique_reviewer')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
