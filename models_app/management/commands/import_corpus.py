"""python manage.py import_corpus snips|hwu64|slurp|sgd --split train --dataset NAME [--data-dir DIR]"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.formats.importing import DuplicatePolicy, ImportOptions, ImportSource
from annotations.services import dataset_import_file
from models_app.recipes.corpora import CORPORA, SPLITS, CorpusError, corpus_dialogues
from selflearn_site.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Import a public corpus as a dataset: an NLU corpus (single-turn dialogues with gold intents and "
        "slots) or SGD (multi-domain dialogues with goals, intents and slots)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("corpus", choices=CORPORA)
        parser.add_argument(
            "--split",
            choices=SPLITS,
            default="train",
            help="train, valid or test (HWU64, SLURP and SGD split 8:1:1 here; SNIPS: train and valid)",
        )
        parser.add_argument("--dataset", required=True)
        parser.add_argument(
            "--data-dir", type=Path, default=Path(settings.BASE_DIR).parent / "shared" / "data"
        )
        parser.add_argument("--on-duplicate", choices=("error", "skip", "replace"), default="error")

    def handle(
        self,
        *args,
        corpus: str,
        split: str,
        dataset: str,
        data_dir: Path,
        on_duplicate: DuplicatePolicy,
        **options,
    ) -> None:
        with tempfile.TemporaryDirectory(prefix="selflearn-corpus-") as folder:
            path = Path(folder) / f"{corpus}-{split}.jsonl"
            try:
                with path.open("w", encoding="utf-8") as out:
                    for dialogue in corpus_dialogues(corpus, data_dir, split):
                        out.write(json.dumps(dialogue, ensure_ascii=False) + "\n")
                # Through the service the other imports take: a dataset made here goes again if the
                # import fails, and the one imported into is counted.
                report = dataset_import_file(
                    name=dataset,
                    source=ImportSource(name=f"{corpus}/{split}", open=lambda: path.open("rb")),
                    options=ImportOptions(on_duplicate=on_duplicate),
                )
            except (CorpusError, ApplicationError) as error:
                raise CommandError(str(getattr(error, "message", error))) from error
        self.stdout.write(self.style.SUCCESS(report.summary()))
