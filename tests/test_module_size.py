"""Every module of the package stays within the size budget (docs/architecture.md): 300 lines."""

from __future__ import annotations

from pathlib import Path

import trajsift

BUDGET = 300


def test_no_module_over_the_budget() -> None:
    root = Path(trajsift.__file__).parent
    sizes = {str(p.relative_to(root)): len(p.read_text(encoding="utf-8").splitlines()) for p in root.rglob("*.py")}
    assert len(sizes) > 100  # the whole package was read
    assert {name: size for name, size in sizes.items() if size > BUDGET} == {}
