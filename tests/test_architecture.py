"""The shape of the code: no module imports another in a circle, anywhere (import-linter's contracts in
pyproject.toml, run by `make test`, keep the layers; this catches a circle across apps too), and no
file or function grows past the house's sizes without saying why."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

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


# ---------------------------------------------------------------------------------------------------
# Sizes: a file past 450 lines becomes a package, a function past 100 lines is split, unless a comment
# at its top (the file's first lines, the function's first body lines) says why not: "# Long: ...".
# ---------------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SIZED = (*PACKAGES, "bench", "scripts", "tests")
MAX_FILE_LINES, MAX_FUNCTION_LINES = 450, 100
# Rewritten in a change of its own (its probes); it is held to the limits once that lands.
NOT_YET_SIZED: set[str] = set()
REASON = re.compile(r"^\s*# Long: \S")


def oversized(root: Path = ROOT, folders: tuple[str, ...] = SIZED) -> list[str]:
    """Files and functions past the limits that do not say why."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            name = str(path.relative_to(root))
            if "migrations" in path.parts or name in NOT_YET_SIZED:
                continue
            lines = path.read_text().splitlines()
            if len(lines) > MAX_FILE_LINES and not any(REASON.match(line) for line in lines[:15]):
                found.append(f"{name}: {len(lines)} lines")
            for node in ast.walk(ast.parse("\n".join(lines))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                # From the def to the first statement after the docstring: where the reason goes.
                first = node.body[1] if len(node.body) > 1 and ast.get_docstring(node) else node.body[0]
                top = lines[node.lineno : first.lineno]
                if length > MAX_FUNCTION_LINES and not any(REASON.match(line) for line in top):
                    found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_no_file_or_function_is_past_the_limits_without_saying_why():
    assert oversized() == []


def test_the_size_check_finds_a_long_function_and_accepts_a_reason(tmp_path):
    body = "".join(f"    x{n} = {n}\n" for n in range(MAX_FUNCTION_LINES))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "long.py").write_text(
        f"def long():\n{body}\n\ndef said():\n    # Long: a table.\n{body}"
    )
    assert oversized(tmp_path, ("pkg",)) == ["pkg/long.py:1 long: 101 lines"]


def test_the_logs_timestamps_have_one_parser():
    """Every reader of the logs (labelling, training, rephrase chains, teachable moments) parses a
    FORMAT.md timestamp with models_app.ml.format_adapter.parse_time; the import's validator checks the
    same form with the same call. (The simulator writes logs; it reads only its own start time.)"""
    allowed = {"models_app/ml/format_adapter.py", "annotations/formats/dialogue_format.py"}
    parsing = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        if package != "simulator"
        for path in (ROOT / package).rglob("*.py")
        if "datetime.fromisoformat(" in path.read_text()
    }
    assert parsing <= allowed, sorted(parsing - allowed)
