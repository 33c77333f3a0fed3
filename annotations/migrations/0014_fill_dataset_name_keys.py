import logging

from django.db import migrations

from annotations.names import dataset_name_key

# As in annotations.models: between a key and the id that sets a legacy duplicate apart.
LEGACY_KEY_SEPARATOR = "\x1f"

log = logging.getLogger(__name__)


def fill_keys(apps, schema_editor):
    """Each dataset gets the key of its name. Names that read the same existed before keys did
    ("Alpha" beside "alpha"): the oldest keeps the plain key, each later one keeps its name (URLs and
    jobs refer to it) under a key set apart by its id, which no new name can take, so that no new
    dataset can take either name. Each such dataset is logged."""
    Dataset = apps.get_model("annotations", "Dataset")
    taken = {}
    for dataset in Dataset.objects.order_by("pk").only("pk", "name"):
        key = dataset_name_key(dataset.name)
        if key in taken:
            log.warning(
                "Datasets %r and %r have names that read the same; both keep their names, and no new "
                "dataset may take either.",
                taken[key],
                dataset.name,
            )
            dataset.name_key = f"{key}{LEGACY_KEY_SEPARATOR}{dataset.pk}"
        else:
            taken[key] = dataset.name
            dataset.name_key = key
        dataset.save(update_fields=["name_key"])


class Migration(migrations.Migration):
    dependencies = [("annotations", "0013_invitations_and_name_keys")]

    operations = [migrations.RunPython(fill_keys, migrations.RunPython.noop)]
