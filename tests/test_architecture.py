"""The shape of the code: no module imports another in a circle, anywhere (import-linter's contracts in
pyproject.toml, run by `make test`, keep the layers; this catches a circle across apps too)."""

from __future__ import annotations

from collections import Counter

import grimp
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

PACKAGES = (
    "accounts",
    "annotations",
    "jobs",
    "models_app",
    "review",
    "rewrites",
    "selflearn_site",
    "simulator",
    "teachable",
)


def import_cycles(packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    """Each set of modules that import one another in a circle (a strongly connected component of the
    import graph with more than one module), imports inside functions included."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    modules = sorted(graph.modules)
    index = {module: position for position, module in enumerate(modules)}
    edges = [
        (index[importer], index[imported])
        for importer in modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported in index
    ]
    importers, imported = zip(*edges, strict=True)
    adjacency = coo_matrix((np.ones(len(edges)), (importers, imported)), shape=(len(modules), len(modules)))
    _, component_of = connected_components(adjacency, directed=True, connection="strong")
    sizes = Counter(component_of)
    return [
        sorted(modules[i] for i in np.flatnonzero(component_of == component))
        for component, size in sizes.items()
        if size > 1
    ]


def test_no_module_imports_another_in_a_circle():
    assert import_cycles() == []


def test_a_circle_would_be_found(tmp_path, monkeypatch):
    package = tmp_path / "circle_example"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "first.py").write_text("from circle_example import second\n")
    (package / "second.py").write_text("def later():\n    from circle_example import first\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(("circle_example",)) == [["circle_example.first", "circle_example.second"]]
