import annotations.models
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("annotations", "0014_fill_dataset_name_keys")]

    operations = [
        migrations.AlterField(
            model_name="dataset",
            name="name_key",
            field=annotations.models.NameKeyField(editable=False, unique=True),
        ),
    ]
