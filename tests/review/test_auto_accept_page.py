"""The auto-accept rules page: admins set, change and clear a threshold per label kind; values outside
[0, 1] are refused with a clear error; nobody else may see or change the rules."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import LabelKind
from review.models import AutoAcceptRule
from review.services.auto_accept import auto_accept_rules_set
from selflearn_site.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def url(dataset) -> str:
    return reverse("review:dataset-auto-accept", args=[dataset.name])


def rules(dataset) -> dict[str, float]:
    return dict(AutoAcceptRule.objects.filter(dataset=dataset).values_list("kind", "threshold"))


def test_the_page_explains_the_rules_and_has_a_labelled_field_per_kind(client, dataset, dataset_admin):
    client.force_login(dataset_admin)
    html = client.get(url(dataset)).content.decode()
    assert "at or above" in html and "without review" in html and "history" in html
    for kind in LabelKind:
        assert f'<label for="id_{kind.value}">{kind.label}</label>' in html


def test_an_admin_saves_updates_and_clears_thresholds(client, dataset, dataset_admin):
    client.force_login(dataset_admin)

    response = client.post(url(dataset), {"intent": "0.9", "slots": "0.95"})
    assert response.status_code == 302
    assert rules(dataset) == {"intent": 0.9, "slots": 0.95}

    client.post(url(dataset), {"intent": "0.8", "slots": "0.95"})
    assert rules(dataset) == {"intent": 0.8, "slots": 0.95}

    client.post(url(dataset), {"intent": "", "slots": "0.95"})
    assert rules(dataset) == {"slots": 0.95}


def test_the_page_shows_the_saved_thresholds(client, dataset, dataset_admin):
    AutoAcceptRule.objects.create(dataset=dataset, kind=LabelKind.DEFECT, threshold=0.97)
    client.force_login(dataset_admin)
    form = client.get(url(dataset)).context["form"]
    assert form["defect"].value() == 0.97
    assert form["intent"].value() is None


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "lots"])
def test_a_threshold_outside_zero_to_one_is_refused_with_a_clear_error(client, dataset, dataset_admin, value):
    AutoAcceptRule.objects.create(dataset=dataset, kind=LabelKind.INTENT, threshold=0.9)
    client.force_login(dataset_admin)

    response = client.post(url(dataset), {"intent": value, "slots": "0.5"})

    assert response.status_code == 400
    assert "between 0 and 1" in str(response.context["form"].errors["intent"])
    assert rules(dataset) == {"intent": 0.9}  # nothing saved, not even the valid slots threshold


def test_only_admins_may_see_or_edit_the_rules(client, dataset, reviewer, viewer, stranger):
    for person, status in ((reviewer, 403), (viewer, 403), (stranger, 404)):
        client.force_login(person)
        assert client.get(url(dataset)).status_code == status, person
        assert client.post(url(dataset), {"intent": "0.5"}).status_code == status, person
    assert rules(dataset) == {}


def test_the_dataset_header_links_admins_to_the_rules(client, dataset, dataset_admin, reviewer):
    detail = reverse("annotations:dataset-detail", args=[dataset.name])
    client.force_login(dataset_admin)
    assert url(dataset) in client.get(detail).content.decode()
    client.force_login(reviewer)
    assert url(dataset) not in client.get(detail).content.decode()


def test_the_service_refuses_an_out_of_range_threshold_and_an_unknown_kind(dataset):
    with pytest.raises(ApplicationError, match="between 0 and 1"):
        auto_accept_rules_set(dataset=dataset, thresholds={"intent": 1.01})
    with pytest.raises(ApplicationError, match="not a label kind"):
        auto_accept_rules_set(dataset=dataset, thresholds={"mood": 0.5})
    assert rules(dataset) == {}


def test_the_service_leaves_kinds_it_is_not_given_alone(dataset):
    auto_accept_rules_set(dataset=dataset, thresholds={"intent": 0.9, "slots": 0.8})
    auto_accept_rules_set(dataset=dataset, thresholds={"intent": None})
    assert rules(dataset) == {"slots": 0.8}
