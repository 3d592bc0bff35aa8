"""Action classification: raw commands and tool calls in the shapes real scaffolds emit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trajsift.actions.classify import SCAN_LIMIT, classify_command, classify_tool_call
from trajsift.actions.shell import runs_after_change, split_segments
from trajsift.schema import ActionType

R, S, E, C = ActionType.READ, ActionType.SEARCH, ActionType.EDIT, ActionType.CREATE
T, X, SUB, G = ActionType.RUN_TESTS, ActionType.RUN_COMMAND, ActionType.SUBMIT, ActionType.GIVE_UP
TH, OT = ActionType.THINK, ActionType.OTHER

COMMANDS = [
    # reads
    ("cat src/app.py", R, "src/app.py"),
    ("cat -n ./src/app.py", R, "src/app.py"),
    ("sed -n '10,20p' django/db/models/query.py", R, "django/db/models/query.py"),
    ("sed -n 10,20p ./a.py", R, "a.py"),
    ("head -n 50 setup.py", R, "setup.py"),
    ("head -50 setup.py", R, "setup.py"),
    ("tail -n 20 /repo/log.txt", R, "/repo/log.txt"),
    ("less README.rst", R, "README.rst"),
    ("nl -ba astropy/io/fits/card.py | sed -n '1,40p'", R, "astropy/io/fits/card.py"),
    ("open astropy/io/fits/fitsrec.py", R, "astropy/io/fits/fitsrec.py"),
    ("open astropy/io/fits/fitsrec.py 1264", R, "astropy/io/fits/fitsrec.py"),
    ('open "django/conf/global_settings.py"', R, "django/conf/global_settings.py"),
    ("goto 252", R, ""),
    ("scroll_down", R, ""),
    ("scroll_up\n", R, ""),
    ("ls", R, ""),
    ("ls -la /django__django/django/db/models/", R, "/django__django/django/db/models/"),
    ("tree -L 2 src", R, "src"),
    ("pwd", R, ""),
    ("wc -l sympy/core/basic.py", R, "sympy/core/basic.py"),
    ("git show HEAD~1", R, "HEAD~1"),
    ("git log --oneline -5", R, ""),
    ("git diff", R, ""),
    ("git --no-pager diff -- src/x.py", R, "src/x.py"),
    ("git status", R, ""),
    ("awk 'NR>=10 && NR<=20' lib/mod.py", R, "lib/mod.py"),
    ("str_replace_editor view /testbed/sympy/core/expr.py", R, "/testbed/sympy/core/expr.py"),
    ("cat a.py && echo ---- && cat b.py", R, "a.py"),
    ("{ cat a.py; cat b.py; }", R, "a.py"),
    ("cat src/m.py | head -n 40", R, "src/m.py"),
    # searches
    ("grep -rn 'def separability_matrix' .", S, "."),
    ('grep -rn "def foo" src/ | head -5', S, "src/"),
    ("grep -r --include='*.py' -n TODO astropy", S, "astropy"),
    ('grep -e "a b" -n file.txt', S, "file.txt"),
    ("rg -n 'class Foo' lib", S, "lib"),
    ("ag ValidationError django/forms", S, "django/forms"),
    ("ack --python xyz", S, "xyz"),
    ("find . -name '*.py' -path '*tests*'", S, "*.py"),
    ("find src -type f -name 'models.py'", S, "src"),
    ("find . -type f -name \"*.py\" | xargs grep -l '_build_app_dict'", S, "*.py"),
    ('search_dir "auth.0011_update_proxy_permissions"', S, "auth.0011_update_proxy_permissions"),
    ('search_dir "FILE_UPLOAD" django/conf', S, "django/conf"),
    ('search_file "output_field.replace"', S, "output_field.replace"),
    ("find_file test_commands.py django/db/migrations/tests", S, "django/db/migrations/tests"),
    ("find_file fitsrec.py", S, "fitsrec.py"),
    ("git grep -n 'def _print' -- sympy/printing", S, "sympy/printing"),
    ("cat setup.cfg | grep flake8", S, "flake8"),
    ("nl -ba f.py | grep -C 5 'def x'", S, "def x"),
    ('search_class("CompoundModel")', S, "CompoundModel"),
    ('search_method_in_file("_separable", "astropy/modeling/separable.py")', S, "astropy/modeling/separable.py"),
    ('search_code("self.mask =")', S, "self.mask ="),
    ('get_code_around_line("astropy/units/core.py", 120, 10)', R, "astropy/units/core.py"),
    ("rover_search_class /django__django SQLCompiler", S, "SQLCompiler"),
    ('rover_search_code_in_file /sympy__sympy "Mul" "point.py"', S, "point.py"),
    # edits
    ("edit 12:20\n    return x\nend_of_edit", E, ""),
    ("edit 307:307\nFILE_UPLOAD_PERMISSIONS = 0o644\nend_of_edit\n", E, ""),
    ("edit 1:1\nimport os\nrm -rf /\npytest\nend_of_edit", E, ""),
    ("edit 62\n", E, ""),
    ("sed -i 's/foo/bar/g' src/x.py", E, "src/x.py"),
    ("sed -i.bak -e 's/a/b/' -e 's/c/d/' ./lib/y.py", E, "lib/y.py"),
    ('sed -i "765,767c\\        pass" django/db/models/fields/__init__.py', E, "django/db/models/fields/__init__.py"),
    ("perl -pi -e 's/old/new/' lib/z.pm", E, "lib/z.pm"),
    ("patch -p1 < fix.diff", E, ""),
    ("git apply fix.patch", E, "fix.patch"),
    ("git checkout -- astropy/units/core.py", E, "astropy/units/core.py"),
    ("git checkout pyproject.toml", E, "pyproject.toml"),
    ("git restore src/a.py", E, "src/a.py"),
    ("git stash", E, ""),
    ("rm reproduce.py", E, "reproduce.py"),
    ("mv a.py b.py", E, "b.py"),
    ("echo 'x = 1' >> settings.py", E, "settings.py"),
    ("printf 'a\\n' >> conf.py", E, "conf.py"),
    ("cat <<'EOF' >> tests/test_x.py\n\ndef test_new():\n    assert f() == 1\nEOF", E, "tests/test_x.py"),
    ("tee -a notes.txt", E, "notes.txt"),
    ("str_replace_editor str_replace /repo/a.py --old_str 'x' --new_str 'y'", E, "/repo/a.py"),
    ("find . -name '*.pyc' -delete", E, "*.pyc"),
    ("1:1\nimport django\n", E, ""),
    ("cat > f.py <<EOF\r\nrm x\r\nEOF\r\nls", C, "f.py"),
    ("find . -name '*.orig' -exec rm {} \\;", E, "*.orig"),
    # creates
    ("create reproduce.py", C, "reproduce.py"),
    ("create /django__django/reproduce_bug.py\n", C, "/django__django/reproduce_bug.py"),
    ("cat > repro.py <<EOF\nimport sympy\nprint(sympy.Symbol('x'))\nEOF", C, "repro.py"),
    ("cat << 'EOF' > ./new_test.py\nimport pytest\ndef test():\n    pytest.main()\nEOF\n", C, "new_test.py"),
    ("cat <<-END >out.txt\n\tgrep -r x .\n\tEND", C, "out.txt"),
    ("echo 'print(1)' > t.py", C, "t.py"),
    ("echo -e 'Welcome\\n=======\\n' > docs/index.rst", C, "docs/index.rst"),
    ("printf '%s\\n' a b > list.txt", C, "list.txt"),
    ("echo hello | tee greeting.txt", C, "greeting.txt"),
    ("touch a/__init__.py", C, "a/__init__.py"),
    ("mkdir -p app/migrations/", C, "app/migrations/"),
    ("cp src/x.py src/x_backup.py", C, "src/x_backup.py"),
    ("str_replace_editor create /workspace/reproduce.py --file_text 'print(1)'", C, "/workspace/reproduce.py"),
    # tests
    ("pytest", T, ""),
    ("pytest tests/test_x.py::TestA::test_b -q", T, "tests/test_x.py::TestA::test_b"),
    ("pytest -k 'not slow' -x sympy/core/tests/test_basic.py", T, "sympy/core/tests/test_basic.py"),
    ("python -m pytest -xvs ./astropy/modeling/tests/test_separable.py", T, "astropy/modeling/tests/test_separable.py"),
    ("python3 -m pytest tests/a.py 2>&1 | tail -20", T, "tests/a.py"),
    ("py.test testing/test_skipping.py", T, "testing/test_skipping.py"),
    ("tox -e py39", T, ""),
    ("python -m tox", T, ""),
    ("nox -s tests", T, ""),
    ("bin/test sympy/core/tests/test_args.py", T, "sympy/core/tests/test_args.py"),
    ("./bin/test sympy/printing", T, "sympy/printing"),
    ("./tests/runtests.py model_fields", T, "model_fields"),
    ("python tests/runtests.py admin_views.tests --settings=test_sqlite", T, "admin_views.tests"),
    ("./runtests.py", T, "runtests.py"),
    ("python -m unittest tests.test_module", T, "tests.test_module"),
    ("python manage.py test myapp", T, "myapp"),
    ("./manage.py test admin_views.test_multidb -v 3 --parallel 1", T, "admin_views.test_multidb"),
    ("python setup.py test", T, ""),
    ("make test", T, ""),
    ("make test-unit", T, ""),
    ("npm test", T, ""),
    ("npm run test:unit -- src/a.test.js", T, "src/a.test.js"),
    ("go test ./...", T, "..."),
    ("cargo test parser", T, "parser"),
    ("python -c \"import sympy; sympy.test('sympy/core')\"", T, ""),
    ("python -c \"import pytest; pytest.main(['-x'])\"", T, ""),
    ("timeout 60 pytest -x tests", T, "tests"),
    ("timeout -s KILL 300 python -m pytest t.py", T, "t.py"),
    ("PYTHONPATH=. pytest tests/unit", T, "tests/unit"),
    ("env DJANGO_SETTINGS_MODULE=settings python -m pytest", T, ""),
    ("cd /repo && pytest -q", T, ""),
    ("cd /testbed; source activate testbed && python -m pytest tests/x.py", T, "tests/x.py"),
    ("time pytest -x", T, ""),
    ("python test_issue.py", T, "test_issue.py"),
    ("coverage run -m pytest tests", T, "tests"),
    ("cat > t.py <<'EOF'\nx\nEOF\npython -m pytest t.py", T, "t.py"),
    ("(cd /repo && pytest tests)", T, "tests"),
    ("bash -c 'cd /r && python -m pytest a.py'", T, "a.py"),
    ("bash -lc 'cd /r && python -m pytest a.py'", T, "a.py"),  # Codex runs every command so
    ("pytest \\\n  tests/x.py -q", T, "tests/x.py"),
    ("bash ./run_tests.sh -v", T, "run_tests.sh"),
    ("python3.11 -m pytest a.py", T, "a.py"),
    ("sudo -u app pytest", T, ""),
    ("python -m django test auth_tests --settings=test_sqlite", T, "auth_tests"),
    # run_command
    ("python reproduce.py", X, "reproduce.py"),
    ("python3 ./repro_bug.py > out.log 2>&1", X, "repro_bug.py"),
    ("python -c 'import django; print(django.VERSION)'", X, ""),
    ("python - <<'EOF'\nimport pytest\nprint('x')\nEOF", X, ""),
    ("pip install -e .", X, ""),
    ("python -m pip install numpy==1.24", X, ""),
    ("cd /repo", X, ""),
    ("export PYTHONPATH=/repo", X, ""),
    ('echo "done"', X, ""),
    ("chmod +x run.sh && ./run.sh", X, "run.sh"),
    ("git add -A && git commit -m 'wip'", X, ""),
    ("django-admin startproject mysite", X, ""),
    ("pylint reproduce.py --notes='YES,???'", X, ""),
    ("cd /repo && python reproduce.py | grep Error", X, "reproduce.py"),
    ("ls && python repro.py", X, "repro.py"),
    ("sh reproduce.sh", X, "reproduce.sh"),
    ("/usr/bin/python3 -u repro.py", X, "repro.py"),
    ("conda activate testbed && cat setup.py", R, "setup.py"),
    ("git diff > fix.patch", R, ""),
    # submit and give up
    ("submit", SUB, ""),
    ("submit\n", SUB, ""),
    ("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached", SUB, ""),
    ("echo MINI_SWE_AGENT_FINAL_OUTPUT && git add -A && git diff --cached", SUB, ""),
    ("cd /testbed && echo 'COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT'", SUB, ""),
    ("succeed", SUB, ""),
    ("exit_forfeit", G, ""),
    ("fail\n", G, ""),
    # think
    ("", TH, ""),
    ("   \n\t", TH, ""),
    ("# No command is required at this moment.\n", TH, ""),
    ('plan\n{\n  "entry": "Reproducer",\n  "roles": []\n}', TH, ""),
    # other
    ("exit_cost", OT, ""),
    ("import numpy as np\nx = np.zeros(3)\nprint(x)", OT, ""),
    ("def __hash__(self):\n    return hash(self.value)\n", OT, ""),
    ("k = symbols('k')", OT, ""),
    ("if n is None:\n    n = 1\n", OT, ""),
    ("The file has been edited to ensure that the name is kept.", OT, ""),
    ('stackoverflow_search "django queryset only defer"', OT, ""),
    ("'%(value)s' value has an invalid format.", OT, ""),
    # environment runners and test tools of other ecosystems
    ("uv run pytest tests/test_a.py", T, "tests/test_a.py"),
    ("uv run --with pytest pytest -q", T, ""),
    ("poetry run pytest -x", T, ""),
    ("conda run -n testbed python -m pytest tests/test_a.py", T, "tests/test_a.py"),
    ("xvfb-run -a pytest", T, ""),
    ("uvx pytest", T, ""),
    ("npx jest src", T, "src"),
    ("bundle exec rspec", T, ""),
    ("vendor/bin/phpunit", T, ""),
    ("./gradlew test", T, ""),
    ("bun test", T, ""),
    ("uv run python reproduce.py", X, "reproduce.py"),
    ("uv pip install -e .", X, ""),
    ("uv run", X, ""),
    ("npx prettier --write a.js", X, ""),
    ("yarn jest", T, ""),
    ("pnpm vitest run", T, ""),
    ("django-admin test", T, ""),
    ("hatch test", T, ""),
    ("bundle exec rake test", T, ""),
    ("./run_tests.sh", T, ""),
    ("yarn build", X, ""),
    ("./deploy.sh", X, "deploy.sh"),
]


@pytest.mark.parametrize(("command", "expected_type", "expected_target"), COMMANDS)
def test_classify_command(command: str, expected_type: ActionType, expected_target: str) -> None:
    action = classify_command(command)
    assert (action.type, action.target) == (expected_type, expected_target)
    assert action.command == command


TOOL_CALLS = [
    ("str_replace_editor", {"command": "view", "path": "/repo/a.py"}, R, "/repo/a.py"),
    ("str_replace_editor", {"command": "view", "path": "/repo", "view_range": [1, 20]}, R, "/repo"),
    ("str_replace_editor", {"command": "create", "path": "/repo/new.py", "file_text": "x = 1\n"}, C, "/repo/new.py"),
    ("str_replace_editor", {"command": "str_replace", "path": "a.py", "old_str": "x", "new_str": "y"}, E, "a.py"),
    ("str_replace_editor", {"command": "insert", "path": "./a.py", "insert_line": 3, "new_str": "z"}, E, "a.py"),
    ("str_replace_editor", {"command": "undo_edit", "path": "a.py"}, E, "a.py"),
    ("str_replace_based_edit_tool", {"command": "view", "path": "/w/b.py"}, R, "/w/b.py"),
    ("str_replace_based_edit_tool", {"command": "str_replace", "path": "/w/b.py", "old_str": "a"}, E, "/w/b.py"),
    ("edit_file", {"path": "c.py", "old_str": "a", "new_str": "b"}, E, "c.py"),
    ("edit_file", {"target_file": "c.py", "instructions": "fix", "code_edit": "..."}, E, "c.py"),
    ("edit_file", {"path": "/w/c.py", "content": "new body", "start": 1, "end": -1}, E, "/w/c.py"),
    ("search_method_in_file", {"file_name": "a/b.py", "method_name": "m"}, S, "a/b.py"),
    ("get_code_around_line", {"file_name": "a/b.py", "line_no": 10, "window_size": 5}, R, "a/b.py"),
    ("LS", {"path": "/repo"}, R, "/repo"),
    ("TodoWrite", {"todos": []}, TH, ""),
    ("Task", {"description": "explore", "prompt": "find x"}, OT, ""),
    ("write_file", {"path": "d.py", "content": "print(1)"}, C, "d.py"),
    ("read_file", {"path": "e.py"}, R, "e.py"),
    ("view_file", {"file_path": "./e.py"}, R, "e.py"),
    ("Read", {"file_path": "/abs/f.py"}, R, "/abs/f.py"),
    ("Write", {"file_path": "/abs/g.py", "content": "x"}, C, "/abs/g.py"),
    ("Edit", {"file_path": "/abs/g.py", "old_string": "a", "new_string": "b"}, E, "/abs/g.py"),
    ("Grep", {"pattern": "def main", "path": "src"}, S, "src"),
    ("Glob", {"pattern": "**/*.py"}, S, "**/*.py"),
    ("execute_bash", {"command": "pytest -q tests/test_a.py"}, T, "tests/test_a.py"),
    ("execute_bash", '{"command": "grep -rn foo ."}', S, "."),
    ("bash", {"command": "cat setup.py"}, R, "setup.py"),
    ("Bash", {"command": "python reproduce.py", "description": "run"}, X, "reproduce.py"),
    ("run_shell", {"cmd": "ls src"}, R, "src"),
    ("execute_ipython_cell", {"code": "print(1)"}, X, ""),
    ("finish", {}, SUB, ""),
    ("finish", {"message": "I fixed the bug."}, SUB, ""),
    ("submit", {}, SUB, ""),
    ("AgentFinishAction", {"outputs": {}}, SUB, ""),
    ("give_up", {"reason": "cannot reproduce"}, G, ""),
    ("think", {"thought": "The bug is in the parser."}, TH, ""),
    ("web_read", {"url": "https://example.com"}, OT, ""),
    ("browser", {"code": "goto('https://example.com')"}, OT, ""),
    ("search_class", {"class_name": "CompoundModel"}, S, "CompoundModel"),
    (
        "search_method_in_file",
        {"method_name": "_separable", "file_name": "astropy/modeling/separable.py"},
        S,
        "astropy/modeling/separable.py",
    ),
    ("write_patch", {}, E, ""),
    ("functions.execute_bash", {"command": "git diff"}, R, ""),
    ("mystery_tool", {"path": "h.py", "old_str": "a", "new_str": "b"}, E, "h.py"),
    ("mystery_tool", {"path": "h.py", "file_text": "x"}, C, "h.py"),
    ("mystery_tool", {"command": "python -m pytest"}, T, ""),
    ("mystery_tool", {"path": "h.py"}, R, "h.py"),
    ("mystery_tool", {"query": "where is the parser"}, S, "where is the parser"),
    ("mystery_tool", {"x": 1}, OT, ""),
    ("", {}, OT, ""),
    ("open", {"path": "a.py", "line_number": 10}, R, "a.py"),
    ("create", {"filename": "new.py"}, C, "new.py"),
    ("bash_command", {"keystrokes": "python -m pytest -q\n", "duration": 10.0}, T, ""),  # Harbor's terminus
    ("bash_command", {"keystrokes": "cat src/a.py\n", "duration": 0.1}, R, "src/a.py"),
    # other agents' tools: Codex argv, Cline / Roo, OpenCode, Gemini CLI, Moatless
    ("shell", {"command": ["bash", "-lc", "cd /repo && pytest -q tests/test_a.py"]}, T, "tests/test_a.py"),
    ("shell", {"command": ["cat", "src/a.py"]}, R, "src/a.py"),
    ("attempt_completion", {"result": "Fixed the parser."}, SUB, ""),
    ("edit", {"filePath": "/repo/a.py", "oldString": "a", "newString": "b"}, E, "/repo/a.py"),
    ("read_file", {"absolute_path": "/repo/a.py"}, R, "/repo/a.py"),
    ("replace", {"file_path": "a.py", "old_string": "a", "new_string": "b"}, E, "a.py"),
    ("read_many_files", {"paths": ["a.py", "b.py"]}, R, ""),
    ("FindClass", {"class_name": "Parser"}, S, ""),
    ("ViewCode", {"files": [{"file_path": "a.py"}]}, R, ""),
    ("RunTests", {"test_files": ["tests/test_a.py"]}, T, ""),
    ("Reject", {"rejection_reason": "cannot be fixed"}, G, ""),
    ("insert", {"path": "a.py", "insert_line": 3, "text": "x"}, E, "a.py"),
]


@pytest.mark.parametrize(("tool", "arguments", "expected_type", "expected_target"), TOOL_CALLS)
def test_classify_tool_call(tool: str, arguments: object, expected_type: ActionType, expected_target: str) -> None:
    action = classify_tool_call(tool, arguments)
    assert (action.type, action.target) == (expected_type, expected_target)
    assert action.tool == tool


def test_tool_call_keeps_raw_arguments_and_renders_short_command() -> None:
    arguments = {"command": "create", "path": "/r/a.py", "file_text": "x" * 10_000}
    action = classify_tool_call("str_replace_editor", arguments)
    assert action.arguments is arguments
    assert action.command == "str_replace_editor create /r/a.py"


def test_tool_call_json_string_arguments_are_decoded() -> None:
    action = classify_tool_call("execute_bash", '{"command": "ls -la"}')
    assert action.arguments == {"command": "ls -la"}
    assert (action.type, action.command) == (R, "ls -la")


@pytest.mark.parametrize("arguments", [None, "not json {", 42, ["a"], '"just a string"'])
def test_tool_call_odd_arguments_never_crash(arguments: object) -> None:
    action = classify_tool_call("execute_bash", arguments)
    assert isinstance(action.arguments, dict)
    assert action.tool == "execute_bash"


def test_shell_tool_name_is_kept_and_program_used_otherwise() -> None:
    assert classify_command("pytest -q", tool="bash").tool == "bash"
    assert classify_command("cd /r && python -m pytest").tool == "python"
    assert classify_command("open a.py").tool == "open"


@pytest.mark.parametrize("value", [None, 0, b"ls"])
def test_non_string_command_is_think(value: object) -> None:
    action = classify_command(value)  # type: ignore[arg-type]
    assert action.type is TH
    assert action.command == ""


def test_cached_results_are_fresh_objects() -> None:
    first = classify_command("edit 1:2\nx\nend_of_edit")
    first.target = "set/by/reader.py"
    assert classify_command("edit 1:2\nx\nend_of_edit").target == ""


def test_unicode_commands() -> None:
    assert classify_command("grep -rn 'café' données/").target == "données/"
    assert classify_command("cat 'ファイル.py'").type is R
    assert classify_command("echo '✓ done' > résumé.txt").type is C


def test_heredoc_body_is_not_classified() -> None:
    body = "\n".join(["submit", "pytest", "rm -rf /", "git apply x"] * 50)
    action = classify_command(f"cat <<'EOF' > notes.md\n{body}\nEOF")
    assert (action.type, action.target) == (C, "notes.md")


def test_quoted_separators_do_not_split() -> None:
    assert split_segments("grep -n 'a && b; c | d' f.py") == ["grep -n 'a && b; c | d' f.py"]
    assert split_segments('python -c "import x\nx.run()" && ls') == ['python -c "import x\nx.run()"', "ls"]
    assert split_segments("a 2>&1 | tail -5; b &> log & c") == ["a 2>&1", "tail -5", "b &> log", "c"]


def test_heredoc_split_resumes_after_delimiter() -> None:
    assert split_segments("cat <<EOF > f\nx && y\nEOF\npytest") == ["cat <<EOF > f", "pytest"]
    assert split_segments("cat <<EOF\nunterminated\nls") == ["cat <<EOF"]


def test_huge_heredoc_then_command_is_seen() -> None:
    command = "cat > big.py <<'EOF'\n" + "x = 1\n" * 100_000 + "EOF\npython -m pytest big.py\n"
    action = classify_command(command)
    assert (action.type, action.target) == (T, "big.py")


def test_huge_single_line_is_bounded() -> None:
    command = "grep -rn " + "x" * 5_000_000 + " src"
    action = classify_command(command)
    assert action.type is S
    assert action.command is command


def test_many_short_lines_stop_at_scan_limit() -> None:
    command = "ls\n" * (SCAN_LIMIT * 10) + "pytest\n"
    assert classify_command(command).type is R


def test_unterminated_quote_does_not_crash() -> None:
    assert classify_command("grep -rn 'oops src/").type is S
    assert classify_command('echo "x > y').type is X


SHELL_ALPHABET = st.sampled_from(list("ab ./-_'\"\\|&;<>(){}#$=\n\t\r:0123456789") + ["EOF", "<<", "cat ", "pytest "])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(SHELL_ALPHABET, max_size=60).map("".join)))
def test_any_text_classifies_without_error(command: str) -> None:
    action = classify_command(command)
    assert isinstance(action.type, ActionType)
    assert action.command == command


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30))


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=20), st.dictionaries(st.sampled_from(["command", "path", "old_str", "code", "x"]), JSON_SCALARS)
)
def test_any_tool_call_classifies_without_error(tool: str, arguments: dict) -> None:
    action = classify_tool_call(tool, arguments)
    assert isinstance(action.type, ActionType)
    assert action.arguments is arguments


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("cat <<'EOF' > repro.py\nimport pkg\nprint(pkg.load(None))\nEOF\npython repro.py", True),
        ("sed -i 's/x/x or 0/' pkg/core.py && python -m pytest tests/test_core.py -q", True),
        ("python repro.py && sed -i 's/x/y/' pkg/core.py", False),  # the run came before the change
        ("sed -i 's/x/y/' pkg/core.py && cat pkg/core.py", False),  # a read, not a run
        ("edit 3:4\n    subprocess.run(['python', 'x.py'])\npython x.py\nend_of_edit", False),  # an editor body
        ("", False),
    ],
)
def test_runs_after_change(command, expected):
    assert runs_after_change(command) is expected


CODEX_BODY = (
    "*** Begin Patch\n*** Update File: pkg/core.py\n@@ def load(x):\n-    return x\n+    return x or 0\n*** End Patch"
)
DIFF_BODY = "--- a/pkg/core.py\n+++ b/pkg/core.py\n@@ -1 +1 @@\n-    return x\n+    return x or 0"


@pytest.mark.parametrize(
    ("command", "program"),
    [
        (f"apply_patch <<'EOF'\n{CODEX_BODY}\nEOF", "apply_patch"),
        (f"cd /repo && apply_patch <<'PATCH'\n{CODEX_BODY}\nPATCH", "apply_patch"),
        (f"apply_patch '{CODEX_BODY}'", "apply_patch"),  # Codex's `shell` argv, joined
        (f"git apply <<'EOF'\ndiff --git a/pkg/core.py b/pkg/core.py\n{DIFF_BODY}\nEOF", "git"),
        (f"patch -p1 <<'EOF'\n{DIFF_BODY}\nEOF", "patch"),
    ],
)
def test_a_patch_applied_from_the_command_text_edits_the_file_it_names(command: str, program: str) -> None:
    action = classify_command(command)
    assert (action.type, action.tool, action.target) == (ActionType.EDIT, program, "pkg/core.py")


def test_patch_text_that_nothing_applies_is_not_an_edit() -> None:
    assert classify_command("git apply fix.patch").target == "fix.patch"  # the diff file, as before
    assert classify_command(f"cat <<'EOF' > notes.txt\n{CODEX_BODY}\nEOF").target == "notes.txt"
    assert classify_command(f"python -m pytest -q  # {CODEX_BODY}").type is ActionType.RUN_TESTS
    assert classify_command(f"echo '{DIFF_BODY}'").type is not ActionType.EDIT
