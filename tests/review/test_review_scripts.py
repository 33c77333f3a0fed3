"""The review page's script: small ES modules under static/js/review/ that repeat no rule of the server
(kind names, which kinds a turn lists, which label of a target is under review: the payload says), all
of them in the page's import map, and served and collected as JavaScript."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.templatetags.static import static
from django.urls import reverse

from annotations.models import LabelKind
from tests.review.review_helpers import make_reviewable

MODULES = Path(settings.BASE_DIR) / "static" / "js" / "review"
SOURCES = {path.name: path.read_text(encoding="utf-8") for path in sorted(MODULES.glob("*.js"))}

# What the script once decided for itself: its tables of kinds and of source ranks, and the ranking.
OWN_RULES = [
    re.compile(r"\b(KIND_NAMES|TURN_KINDS|SOURCE_RANK)\b"),
    re.compile(r"""\b(import|model|person)["']?\s*:\s*\d"""),  # a rank per source
    re.compile(r"\.source\s*[<>]|[<>]=?\s*\w+\.source\b"),  # comparing sources
    re.compile(r"\.id\s*>\s*\w+\.id\b"),  # the newest label wins
]


def test_the_script_is_small_modules_each_saying_what_it_owns():
    assert "main.js" in SOURCES and len(SOURCES) > 5
    assert not (MODULES.parent / "review.js").exists()
    for name, source in SOURCES.items():
        assert source.startswith("// "), f"{name} starts with a comment saying what it owns"
        assert len(source.splitlines()) <= 200, f"{name} is not small"


def _texts(source: str) -> list[str]:
    """The string literals of a module, and its comments: what it could show or mean by a name."""
    return re.findall(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`|//.*', source)


@pytest.mark.parametrize("name", [kind.label for kind in LabelKind])
def test_no_module_names_a_label_kind_itself(name):
    for module, source in SOURCES.items():
        named = [text for text in _texts(source) if name in text]
        assert not named, f"{module} names the kind {name!r} in {named}: the payload's kinds do"


@pytest.mark.parametrize("rule", OWN_RULES, ids=lambda rule: rule.pattern)
def test_no_module_ranks_labels_itself(rule):
    for module, source in SOURCES.items():
        assert not rule.search(source), f"{module}: the payload's under_review says which label is current"


def _page(client, dataset, reviewer) -> tuple[str, dict[str, str]]:
    """The review page's HTML and its import map."""
    dialogue = make_reviewable(dataset, "d1", ["play jazz"])
    client.force_login(reviewer)
    html = client.get(reverse("review:review-dialogue", args=[dataset.name, dialogue.pk])).content.decode()
    [import_map] = re.findall(r'<script type="importmap"[^>]*>(.*?)</script>', html, re.S)
    return html, json.loads(import_map)["imports"]


def _plain(name: str) -> str:
    """What ``./name`` resolves to from another module: its unhashed static URL."""
    return "/" + settings.STATIC_URL.lstrip("/") + "js/review/" + name


@pytest.mark.django_db
def test_the_page_loads_main_as_a_module_and_maps_every_module_to_its_static_name(client, dataset, reviewer):
    html, imports = _page(client, dataset, reviewer)
    assert f'<script type="module" src="{static("js/review/main.js")}"></script>' in html
    assert imports == {_plain(name): static(f"js/review/{name}") for name in SOURCES}


@pytest.mark.django_db
def test_the_modules_are_served_as_javascript(client):
    for name in SOURCES:
        response = client.get(static(f"js/review/{name}"))
        assert response.status_code == 200, name
        assert response["Content-Type"].split(";")[0] == "text/javascript", name
        response.close()


@pytest.mark.django_db
def test_in_production_each_module_is_collected_under_its_hashed_name_and_the_map_uses_it(
    client, dataset, reviewer, tmp_path, settings
):
    """DEBUG off: collectstatic hashes and compresses every module, and the page's import map sends each
    module's plain name to its hashed one, so main.js's relative imports load the same deployment."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    html, imports = _page(client, dataset, reviewer)
    assert set(imports) == {_plain(name) for name in SOURCES}
    for name, source in SOURCES.items():
        url = imports[_plain(name)]
        assert re.fullmatch(rf"{_plain(name)[:-3]}\.[0-9a-f]{{12}}\.js", url), url
        collected = tmp_path / "js" / "review" / url.rsplit("/", 1)[1]
        assert collected.read_text(encoding="utf-8") == source
        assert collected.with_name(collected.name + ".gz").exists()
    assert f'<script type="module" src="{imports[_plain("main.js")]}"></script>' in html
