"""A prepared read answers what its queryset answers, for each call's own values, from SQL the ORM
compiled once."""

from __future__ import annotations

import pytest
from django.db.models import OuterRef, Subquery, Value

from accounts.models import ApiToken
from accounts.services import api_token_create, key_digest
from annotations.models import Dataset, Membership, Role
from selflearn_site.prepared import PreparedRead

pytestmark = pytest.mark.django_db


def test_rows_answer_each_calls_values_as_the_queryset_does(make_user):
    for name in ("alpha", "beta"):
        Dataset.objects.create(name=name)
    names = PreparedRead(lambda name: Dataset.objects.filter(name=name).values_list("pk", "name"), "no-name")

    for name in ("beta", "alpha", "gamma"):
        assert names.rows(name) == list(Dataset.objects.filter(name=name).values_list("pk", "name"))


def test_the_queryset_is_built_and_compiled_once_per_process(make_user):
    Dataset.objects.create(name="alpha")
    built = []

    def build(name):
        built.append(name)
        return Dataset.objects.filter(name=name).values_list("name")

    read = PreparedRead(build, "no-name")
    answers = [read.rows("alpha"), read.rows("beta"), read.rows("alpha")]

    assert answers == [[("alpha",)], [], [("alpha",)]]
    assert built == ["no-name"]


def test_instances_bring_their_related_objects_and_annotations(make_user, dataset):
    alice = make_user("alice")
    Membership.objects.create(dataset=dataset, user=alice, role=Role.REVIEWER)
    _, key = api_token_create(user=alice, name="script")
    tokens = PreparedRead(
        lambda digest: ApiToken.objects.select_related("user").filter(key_digest=digest), "no-digest"
    )
    datasets = PreparedRead(
        lambda name, user_pk: Dataset.objects.filter(name=name).annotate(
            user_role=Subquery(
                Membership.objects.filter(dataset=OuterRef("pk"), user_id=user_pk).values("role")
            )
        ),
        "no-name",
        -1,
    )

    (token,) = tokens.instances(key_digest(key))
    (found,) = datasets.instances(dataset.name, alice.pk)

    assert token == ApiToken.objects.get(name="script")
    assert token.user.username == "alice" and token.user.is_active
    assert found == dataset and found.user_role == Role.REVIEWER
    assert found.created_at == Dataset.objects.get().created_at  # converted as the ORM converts it
    assert tokens.instances(key_digest(key + "x")) == []


def test_a_query_value_equal_to_a_marker_is_not_taken_for_it(make_user):
    Dataset.objects.create(name="alpha")
    # True == 1 in Python: the query's own True must not be taken for the marker 1.
    read = PreparedRead(
        lambda pk: Dataset.objects.filter(pk__gte=pk).annotate(yes=Value(True)).values_list("name", "yes"),
        1,
    )

    assert read.rows(0) == [("alpha", True)]
    assert read.rows(10**6) == []


def test_a_marker_the_sql_does_not_carry_is_refused():
    read = PreparedRead(lambda name: Dataset.objects.filter(name="fixed").values_list("pk"), "no-name")

    with pytest.raises(ValueError, match="no-name"):
        read.rows("alpha")
