"""``{% jobs_working_on dataset %}``: the notice on a dataset's pages while jobs work on it."""

from __future__ import annotations

from typing import Any

from django import template

from jobs import selectors

register = template.Library()


@register.inclusion_tag("jobs/_working_on.html")
def jobs_working_on(dataset: Any) -> dict[str, Any]:
    return {"dataset": dataset, "jobs": selectors.jobs_working_on(dataset)}
