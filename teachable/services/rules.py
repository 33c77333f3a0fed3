"""Resolution rules: which preference completes which reading of the assistant."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from annotations.models import Dataset
from annotations.services import dataset_serving_changed
from selflearn_site.exceptions import ApplicationError
from teachable.models import Catalogue, ResolutionRule


@dataclass(frozen=True)
class RuleInput:
    intent: str
    slot_type: str
    domain: str
    key: str
    catalogue: str | None = None


# The simulator's (and many assistants') preference-shaped requests: "what's the weather", "put the
# game on", "play some music".
DEFAULT_RULES = (
    RuleInput("weather_query", "place_name", "weather", "city", "city"),
    RuleInput("sports_query", "sport_team", "sports", "team", "team"),
    RuleInput("sports_watch", "sport_team", "sports", "team", "team"),
    RuleInput("play_music", "music_genre", "music", "genre", "genre"),
)


def resolution_rules_set(*, dataset: Dataset, rules: list[RuleInput]) -> list[ResolutionRule]:
    """Replace the dataset's rules, all or nothing; errors name the rule and field."""
    seen: set[tuple[str, str]] = set()
    names = {rule.catalogue for rule in rules if rule.catalogue}
    catalogues = {c.name: c for c in Catalogue.objects.filter(name__in=names)}
    for number, rule in enumerate(rules):
        where = f"rules[{number}]"
        for field in ("intent", "slot_type", "domain", "key"):
            if not getattr(rule, field).strip():
                raise ApplicationError(f"{where}.{field} is required.", extra={"field": "rules"})
        if rule.catalogue and rule.catalogue not in catalogues:
            raise ApplicationError(
                f"{where}.catalogue: no catalogue {rule.catalogue!r}.", extra={"field": "rules"}
            )
        if (rule.intent, rule.slot_type) in seen:
            raise ApplicationError(
                f"{where}: a second rule for {rule.intent} / {rule.slot_type}.",
                extra={"field": "rules"},
            )
        seen.add((rule.intent, rule.slot_type))
    with transaction.atomic():
        ResolutionRule.objects.filter(dataset=dataset).delete()
        dataset_serving_changed(dataset=dataset)
        return ResolutionRule.objects.bulk_create(
            ResolutionRule(
                dataset=dataset,
                intent=rule.intent.strip(),
                slot_type=rule.slot_type.strip(),
                domain=rule.domain.strip(),
                key=rule.key.strip(),
                catalogue=catalogues.get(rule.catalogue or ""),
            )
            for rule in rules
        )


def resolution_rules_set_defaults(*, dataset: Dataset) -> list[ResolutionRule]:
    return resolution_rules_set(dataset=dataset, rules=list(DEFAULT_RULES))
