"""docs/security.md names, for each promise, the tests that prove it: every test and file it names exists."""

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
# `test_x.py::test_name` or `tests/unit/test_x.py::test_name`, and bare `test_x.py` / `bench/x.py` files.
NAMED_TEST = re.compile(r"`((?:tests/\w+/)?test_\w+\.py)::(test_\w+)")
NAMED_FILE = re.compile(r"`((?:tests/\w+/|bench/)?\w+\.py)`")


def _find(name: str) -> pathlib.Path | None:
    if "/" in name:
        path = ROOT / name
        return path if path.exists() else None
    matches = [p for p in (ROOT / "tests").rglob(name)]
    return matches[0] if len(matches) == 1 else None


def _test_names(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_named_in_the_security_doc_exists():
    text = DOC.read_text(encoding="utf-8")
    named = NAMED_TEST.findall(text)
    assert len(named) >= 60  # the pattern finds the references the document is made of
    missing = []
    for file_name, test_name in named:
        path = _find(file_name)
        if path is None or test_name not in _test_names(path):
            missing.append(f"{file_name}::{test_name}")
    assert missing == [], "docs/security.md names tests that do not exist: " + ", ".join(missing)


def test_every_file_named_in_the_security_doc_exists():
    text = DOC.read_text(encoding="utf-8")
    files = [f for f in NAMED_FILE.findall(text) if f.startswith(("test_", "tests/", "bench/"))]
    assert files
    missing = [f for f in files if _find(f) is None]
    assert missing == [], f"docs/security.md names files that do not exist: {missing}"
