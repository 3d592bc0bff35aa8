"""What each shell program (or SWE-agent command) does, over the word tables in `tables`.

`classify_words` takes one simple command as unquoted words (prefixes already stripped) plus its stdout
redirect targets and returns a `Classification` and whether the command is mere setup (`cd`, `export`, `echo`).
"""

from __future__ import annotations

import re

from trajsift.actions.tables import (
    EDITOR_SUBCOMMANDS,
    FIXED,
    GIT_EDIT,
    GIT_READ,
    LAST_ARGUMENT_TARGETS,
    NO_TARGET,
    NOT_ACTIONS,
    PRODUCERS,
    SETUP,
    TEST_MODULES,
    VALUE_OPTIONS,
    Classification,
    normalise_path,
    positionals,
    skip_options,
)
from trajsift.schema import ActionType

_T = ActionType
_TEST_SCRIPT = re.compile(r"(?:run_?tests?|tests?|test_[\w.-]*|[\w.-]*_tests?)(?:\.py|\.sh)?")
_TEST_CODE = re.compile(r"\b\w+\.test\(|\bpytest\.main\(|\bunittest\.main\(|\bdoctest\.testmod\(|\brun_tests?\(")
_TEST_WORD = re.compile(r"(?:test|check)(?:[-_:][\w:-]*)?")
_PROSE_WORD = re.compile(r"[A-Za-z][a-z']*[.,;:!?]?")
_PYTHON = re.compile(r"(?:python|pypy)[\d.]*")
_COMMAND_NAME = re.compile(r"[\w.+~/\[\]:-]+")


def classify_words(words: list[str], writes: list[tuple[str, bool]]) -> tuple[Classification, bool]:
    raw_program = words[0]
    program = raw_program.rsplit("/", 1)[-1]
    args = words[1:]
    if writes and program in PRODUCERS:
        path, append = writes[-1]
        return Classification(_T.EDIT if append else _T.CREATE, program, normalise_path(path)), False
    if program == "tee":
        files = positionals(args)
        kind = _T.EDIT if "-a" in args or "--append" in args else _T.CREATE
        return Classification(kind, program, normalise_path(files[0]) if files else ""), False
    if (program in SETUP and "/" not in raw_program) or (program == "conda" and args[:1] == ["activate"]):
        return Classification(_T.RUN_COMMAND, program), True
    handler = HANDLERS.get("python" if _PYTHON.fullmatch(program) else program)
    if handler is not None:
        return handler(program, args), False
    kind = FIXED.get(program)
    if kind is not None:
        return Classification(kind, program, _fixed_target(program, args)), False
    return _unknown_program(raw_program, program, args), False


def _fixed_target(program: str, args: list[str]) -> str:
    found = positionals(args, VALUE_OPTIONS.get(program, set()))
    if not found or program in NO_TARGET:
        return ""
    if program in LAST_ARGUMENT_TARGETS or FIXED.get(program) is _T.SEARCH:
        # `cp a b` -> b; `grep pat file` -> file, `grep pat` -> pat; `awk prog file` -> file
        return normalise_path(found[-1])
    return normalise_path(found[0])


def _unknown_program(raw_program: str, program: str, args: list[str]) -> Classification:
    if program in NOT_ACTIONS or not _COMMAND_NAME.fullmatch(raw_program) or _looks_like_prose(raw_program, args):
        return Classification(_T.OTHER, program)
    if program.startswith("rover_search"):  # CodeR: `rover_search_method /repo name`, `..._in_file /repo x f.py`
        return Classification(_T.SEARCH, program, _first(positionals(args)[-1:]))
    if "/" in raw_program and program.endswith(".py"):  # `./manage.py test x`, `./reproduce.py`
        return _python_script(program, raw_program, args)
    if "/" in raw_program and _TEST_SCRIPT.fullmatch(program):
        return Classification(_T.RUN_TESTS, program, _first(positionals(args, VALUE_OPTIONS["runtests"])))
    return Classification(_T.RUN_COMMAND, program, normalise_path(raw_program) if "/" in raw_program else "")


def _looks_like_prose(first: str, args: list[str]) -> bool:
    """An English sentence where a command was expected: `The file has been edited to ...`."""
    if len(args) < 4 or "/" in first:
        return False
    words = [first, *args[:12]]
    plain = sum(1 for word in words if _PROSE_WORD.fullmatch(word))
    return plain >= 0.8 * len(words)


def _first(values: list[str]) -> str:
    return normalise_path(values[0]) if values else ""


def _python(program: str, args: list[str]) -> Classification:
    for index, arg in enumerate(args):
        rest = args[index + 1 :]
        if arg == "-m" or (arg.startswith("-m") and len(arg) > 2):
            module = arg[2:] or (rest[0] if rest else "")
            rest = rest if arg[2:] else rest[1:]
            return _python_module(program, module, rest)
        if arg == "-c":
            code = rest[0] if rest else ""
            return Classification(_T.RUN_TESTS if _TEST_CODE.search(code) else _T.RUN_COMMAND, program)
        if arg in ("-W", "-X"):
            continue
        if not arg.startswith("-") and (index == 0 or args[index - 1] not in ("-W", "-X")):
            return _python_script(program, arg, rest)
    return Classification(_T.RUN_COMMAND, program)


def _python_module(program: str, module: str, rest: list[str]) -> Classification:
    if module in TEST_MODULES or (module == "django" and rest[:1] == ["test"]):
        found = positionals(rest, VALUE_OPTIONS["pytest"])
        if module == "django":
            found = found[1:]
        return Classification(_T.RUN_TESTS, program, _first(found))
    if module == "pip":
        return Classification(_T.RUN_COMMAND, program)
    return Classification(_T.RUN_COMMAND, program, module)


def _python_script(program: str, script: str, rest: list[str]) -> Classification:
    name = script.rsplit("/", 1)[-1]
    if name in ("manage.py", "setup.py") and rest[:1] == ["test"]:
        return Classification(_T.RUN_TESTS, program, _first(positionals(rest[1:], VALUE_OPTIONS["runtests"])))
    if _TEST_SCRIPT.fullmatch(name):
        selector = _first(positionals(rest, VALUE_OPTIONS["runtests"]))
        return Classification(_T.RUN_TESTS, program, selector or normalise_path(script))
    return Classification(_T.RUN_COMMAND, program, normalise_path(script))


def _sed(program: str, args: list[str]) -> Classification:
    in_place = any(arg.startswith("-i") or arg.startswith("--in-place") for arg in args)
    found = positionals([arg for arg in args if not arg.startswith("-i")], VALUE_OPTIONS["sed"])
    files = found if "-e" in args or "-f" in args else found[1:]
    if in_place:
        return Classification(_T.EDIT, program, normalise_path(files[-1]) if files else "")
    return Classification(_T.READ, program, _first(files))


def _perl(program: str, args: list[str]) -> Classification:
    in_place = any(arg.startswith("-") and not arg.startswith("--") and "i" in arg for arg in args[:4])
    if in_place:
        found = positionals(args, {"-e"})
        return Classification(_T.EDIT, program, normalise_path(found[-1]) if found else "")
    return Classification(_T.RUN_COMMAND, program)


def _find(program: str, args: list[str]) -> Classification:
    executed = args[args.index("-exec") + 1 :] if "-exec" in args else []
    edits = "-delete" in args or executed[:1] in (["rm"], ["mv"]) or (executed[:1] == ["sed"] and "-i" in executed)
    paths = []
    for arg in args:
        if arg.startswith(("-", "(", "!")):
            break
        paths.append(arg)
    target = paths[0] if paths else ""
    if target in ("", ".", "./"):  # `find . -name '*.py'`: the name pattern says more than `.`
        for option in ("-name", "-iname", "-path", "-ipath", "-regex"):
            if option in args and args.index(option) + 1 < len(args):
                target = args[args.index(option) + 1]
                break
    return Classification(_T.EDIT if edits else _T.SEARCH, program, normalise_path(target))


def _git(program: str, args: list[str]) -> Classification:
    index = skip_options(args, 0, VALUE_OPTIONS["git"])
    sub, rest = (args[index], args[index + 1 :]) if index < len(args) else ("", [])
    if sub == "grep":
        found = positionals(rest, VALUE_OPTIONS["grep"])
        return Classification(_T.SEARCH, program, normalise_path(found[-1] if found else ""))
    if sub == "stash" and rest[:1] in (["list"], ["show"]):
        return Classification(_T.READ, program)
    kind = _T.READ if sub in GIT_READ else _T.EDIT if sub in GIT_EDIT else _T.RUN_COMMAND
    found = positionals(rest)
    if sub in ("checkout", "restore") and "--" in rest:
        found = rest[rest.index("--") + 1 :]
    return Classification(kind, program, _first(found) if kind is not _T.RUN_COMMAND else "")


def _build_tool(program: str, args: list[str]) -> Classification:
    """`make test`, `npm test`, `npm run test:unit`, `go test ./...`, `cargo test`, `./gradlew test`, `yarn jest`."""
    words = [arg for arg in args if not arg.startswith("-")]
    if words[:1] == ["run"]:
        words = words[1:]
    if words and (_TEST_WORD.fullmatch(words[0]) or FIXED.get(words[0]) is _T.RUN_TESTS):  # `yarn jest`
        return Classification(_T.RUN_TESTS, program, _first([word for word in words[1:] if word != "run"]))
    return Classification(_T.RUN_COMMAND, program)


def _editor_command(program: str, args: list[str]) -> Classification:
    """SWE-agent 1.x renders tool calls as text: `str_replace_editor view /repo/x.py`."""
    kind = EDITOR_SUBCOMMANDS.get(args[0], _T.OTHER) if args else _T.OTHER
    return Classification(kind, program, normalise_path(args[1]) if len(args) > 1 else "")


def _shell_script(program: str, args: list[str]) -> Classification:
    """`bash reproduce.sh`, `sh run_tests.sh` (`bash -c '...'` is unwrapped before this)."""
    found = positionals(args)
    script = found[0] if found else ""
    is_test = _TEST_SCRIPT.fullmatch(script.rsplit("/", 1)[-1].removesuffix(".sh"))
    return Classification(_T.RUN_TESTS if is_test else _T.RUN_COMMAND, program, normalise_path(script))


def _coverage(program: str, args: list[str]) -> Classification:
    if args[:1] == ["run"]:
        return _python(program, args[1:])
    return Classification(_T.RUN_COMMAND, program)


HANDLERS = {
    **dict.fromkeys(("python", "py"), _python),
    "sed": _sed,
    "perl": _perl,
    "find": _find,
    "git": _git,
    **dict.fromkeys("make npm yarn pnpm go cargo mvn gradle gradlew dotnet".split(), _build_tool),
    **dict.fromkeys("bun deno sbt mix swift hatch django-admin rake".split(), _build_tool),
    **dict.fromkeys(("str_replace_editor", "str_replace_based_edit_tool"), _editor_command),
    "coverage": _coverage,
    **dict.fromkeys(("bash", "sh", "zsh", "dash"), _shell_script),
}
