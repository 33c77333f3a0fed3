from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("annotations", "0017_label_filter_indexes")]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="serving_revision",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
    ]
