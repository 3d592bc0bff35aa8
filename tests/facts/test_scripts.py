"""facts.scripts: which steps change files by running code."""

from __future__ import annotations

from trajsift.facts.scripts import code_writes, names_file
from trajsift.schema import Action, ActionType, Step

T = ActionType


def act(kind: ActionType, command: str, target: str = "", **arguments) -> Step:
    return Step(action=Action(type=kind, command=command, target=target, arguments=arguments))


WRITER = "import re\ntext = open('pkg/mod.py').read()\nopen('pkg/mod.py', 'w').write(text.replace('a', 'b'))\n"
READER = "import pkg.mod\nprint(pkg.mod.run())\n"


def test_runs_of_scripts_that_write_files_and_inline_writers():
    steps = [
        act(T.CREATE, f"cat <<'EOF' > fix.py\n{WRITER}EOF", "fix.py"),
        act(T.CREATE, f"cat > repro.py <<'EOF'\n{READER}EOF", "repro.py"),
        act(T.RUN_COMMAND, "python repro.py"),  # reads only
        act(T.RUN_COMMAND, "cd /testbed && python3 -u fix.py"),  # writes pkg/mod.py
        act(T.CREATE, "", "edit.py", file_text="from pathlib import Path\nPath('pkg/b.py').write_text('')\n"),
        act(T.RUN_COMMAND, "python edit.py && python -m pytest -q"),
        act(T.RUN_COMMAND, 'python -c "import pkg; print(pkg.open)"'),  # no write
        act(T.RUN_COMMAND, "python -c \"open('pkg/c.py', 'a').write('# x')\""),
        act(T.READ, "cat fix.py"),
        act(T.RUN_COMMAND, "python missing.py"),  # never written by the run
    ]
    found = code_writes(steps)
    assert sorted(found) == [3, 5, 7]
    assert names_file(found[3], "mod.py") and not names_file(found[3], "b.py")
    assert names_file(found[5], "b.py") and names_file(found[7], "c.py")
    assert not names_file("open('pkg/score.py', 'w')", "core.py") and names_file("p = 'core.py'", "core.py")


def test_a_script_rewritten_without_writes_no_longer_counts():
    steps = [
        act(T.CREATE, f"cat <<'EOF' > fix.py\n{WRITER}EOF", "fix.py"),
        act(T.CREATE, f"cat <<'EOF' > fix.py\n{READER}EOF", "fix.py"),
        act(T.RUN_COMMAND, "python fix.py"),
    ]
    assert code_writes(steps) == {}
