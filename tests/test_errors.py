"""One exception tree: every exception class trajsift defines derives from `TrajsiftError`.

Read from the source (no module is imported, so optional extras need not be installed): a class is an
exception when one of its bases is a builtin exception or another exception class of the package.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import trajsift
from trajsift.errors import InputError, TrajsiftError

PACKAGE = Path(trajsift.__file__).parent
BUILTIN_EXCEPTIONS = {
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), BaseException)
}


def _class_bases() -> dict[str, list[tuple[str, list[str]]]]:
    """Class name -> [(defining file, base names)] for every class in the package."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
                found.setdefault(node.name, []).append((str(path.relative_to(PACKAGE)), bases))
    return found


def _is_exception(name: str, classes: dict, seen: frozenset = frozenset()) -> bool:
    if name in BUILTIN_EXCEPTIONS:
        return True
    if name in seen or name not in classes:
        return False
    return any(_is_exception(base, classes, seen | {name}) for _, bases in classes[name] for base in bases)


def _reaches_root(name: str, classes: dict, seen: frozenset = frozenset()) -> bool:
    if name == "TrajsiftError":
        return True
    if name in seen or name not in classes:
        return False
    return any(_reaches_root(base, classes, seen | {name}) for _, bases in classes[name] for base in bases)


def test_every_exception_class_derives_from_trajsift_error():
    classes = _class_bases()
    exceptions = [
        (name, where)
        for name, defs in classes.items()
        for where, bases in defs
        if name != "TrajsiftError" and any(_is_exception(base, classes) for base in bases)
    ]
    assert len(exceptions) >= 15  # the scan sees the package's exceptions (sanity check of the scan itself)
    outside = sorted(f"{where}: {name}" for name, where in exceptions if not _reaches_root(name, classes))
    assert outside == []


def test_errors_that_were_value_or_lookup_errors_still_are():
    from trajsift.readers.sources.json_array import NotAnArray
    from trajsift.readers.sources.streams import InputTooLarge

    assert issubclass(NotAnArray, ValueError) and issubclass(NotAnArray, TrajsiftError)
    assert issubclass(InputTooLarge, InputError)
