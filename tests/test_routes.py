"""The route table names each handler loaded per request once, and its
TYPE_CHECKING imports name the same ones (firmware/routes.py).

pyright follows the imports (test_typecheck.py: each class has its method);
this test ties them to the (module, class, method) triples the firmware loads
at run time, so a triple that names a module, class or method no import names
(a typo, a renamed handler) fails here, not on the first request to it.
"""

import ast
import os

import pytest

pytestmark = pytest.mark.cpython_only  # reads the source: host-side only

ROUTES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "firmware", "routes.py")


def _parse():
    tree = ast.parse(open(ROUTES).read())
    triples = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Lazy":
            triples.append(tuple(e.value for e in node.args[1:4]))  # (module, class, method[, body])  # pyright: ignore[reportAttributeAccessIssue]
    imports, methods = set(), set()
    block = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", None) == "TYPE_CHECKING"]
    assert len(block) == 1
    for n in block[0].body:
        if isinstance(n, ast.ImportFrom):
            assert n.level == 1 and n.module
            imports |= {(n.module, a.name) for a in n.names}
        elif isinstance(n, ast.Assign):
            methods |= {(e.value.id, e.attr) for e in n.value.elts}  # pyright: ignore
    return triples, imports, methods


def test_each_lazy_handler_is_named_once_and_its_import_path_agrees():
    triples, imports, methods = _parse()
    assert len(triples) >= 10
    assert len(set(triples)) == len(triples), "a handler named twice"
    assert {(m, c) for m, c, _ in triples} == imports
    assert {(c, f) for _, c, f in triples} == methods


def test_each_triple_is_a_real_method():
    """What pyright checks through the imports, checked here without it too."""
    _, imports, methods = _parse()
    root = os.path.dirname(ROUTES)
    for module, cls in imports:
        tree = ast.parse(open(os.path.join(root, module + ".py")).read())
        (c,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
        defs = {n.name for n in c.body if isinstance(n, ast.FunctionDef)}
        for klass, method in methods:
            if klass == cls:
                assert method in defs, (module, cls, method)
