"""Word tables behind action classification: what fixed programs and SWE-agent commands do, which words
are prefixes or setup, which options take values; and the word-level helpers over them (`strip_prefixes`,
`positionals`, `normalise_path`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from trajsift.schema import ActionType

_T = ActionType


class Classification(NamedTuple):
    """What a command does: its action type, the program that decided it, and the file it acts on."""

    type: ActionType
    program: str = ""
    target: str = ""


EDITOR_SUBCOMMANDS = {"view": _T.READ, "create": _T.CREATE, "write": _T.CREATE}
EDITOR_SUBCOMMANDS.update(dict.fromkeys(("str_replace", "insert", "undo_edit", "edit"), _T.EDIT))
FIXED = {
    **dict.fromkeys("cat head tail less more nl wc ls ll tree pwd file stat du df diff cmp cut sort".split(), _T.READ),
    **dict.fromkeys("uniq column jq xxd od hexdump strings readlink realpath which whereis type bat".split(), _T.READ),
    **dict.fromkeys("open goto scroll_up scroll_down filemap printenv date id whoami uname history".split(), _T.READ),
    **dict.fromkeys("md5sum sha1sum sha256sum awk gawk view".split(), _T.READ),
    **dict.fromkeys("grep egrep fgrep zgrep rg ag ack ack-grep fd locate".split(), _T.SEARCH),
    **dict.fromkeys("search_dir search_file find_file".split(), _T.SEARCH),
    **dict.fromkeys("patch rm rmdir mv ed truncate unlink".split(), _T.EDIT),
    **dict.fromkeys("touch mkdir cp create install".split(), _T.CREATE),
    **dict.fromkeys("pytest py.test tox nox nosetests nose2 trial jest mocha".split(), _T.RUN_TESTS),
    **dict.fromkeys("vitest rspec phpunit ctest".split(), _T.RUN_TESTS),
    "submit": _T.SUBMIT,
    "succeed": _T.SUBMIT,  # CodeR: the acting sub-agent (`Step.agent`) finishes its part
    "fail": _T.GIVE_UP,  # CodeR: the acting sub-agent gives up its part
    **dict.fromkeys("exit_forfeit forfeit give_up".split(), _T.GIVE_UP),
}
SETUP = frozenset(
    "cd pushd popd source . export set unset alias true false : clear echo printf sleep shopt ulimit umask wait "
    "[ [[ test exit local declare trap read for while until case select done fi esac } ) activate deactivate".split()
)
NO_TARGET = frozenset({"goto", "scroll_up", "scroll_down", "tox", "nox", "date", "id", "uname", "history"})
LAST_ARGUMENT_TARGETS = frozenset({"cp", "mv", "install", "awk", "gawk", "ln"})
PRODUCERS = frozenset({"cat", "echo", "printf"})
# Scaffold exit statuses, Python keywords and web look-ups: not repository actions.
NOT_ACTIONS = frozenset(
    "exit_cost exit_context exit_format exit_error exit_api import from def class return print end_of_edit "
    "stackoverflow_search similar_issue_search web_search".split()
)
PREFIXES = frozenset({"time", "nohup", "exec", "command", "builtin", "then", "do", "else", "if", "!"})
PREFIXES_WITH_VALUES = {"timeout": 1, "xargs": 0, "env": 0, "stdbuf": 0, "sudo": 0, "nice": 0, "xvfb-run": 0}
RUNNERS = {
    **dict.fromkeys("uv poetry pdm rye pipenv pixi hatch conda mamba micromamba".split(), "run"),
    "bundle": "exec",
    "pnpm": "exec",
}
"""Environment runners before the program: `uv run pytest`, `conda run -n env pytest`, `bundle exec rspec`."""
RUNNER_PROGRAMS = frozenset({"uvx", "npx", "pnpx", "bunx"})
"""Runners of a tool by its name: `uvx pytest`, `npx jest`."""
_VALUE_OPTION_TABLE = {  # programs -> options that take a value (`head -n 20 f`: the target is `f`)
    "head tail": "-n -c",
    "grep egrep fgrep": "-e -f -m -A -B -C --include --exclude --exclude-dir",
    "rg": "-e -g -t -T -m -A -B -C -M --glob --type",
    "ag": "-G -A -B -C --ignore",
    "sed": "-e -f",
    "pytest py.test": "-k -m -p -c -o -W -n --tb --rootdir --deselect --ignore --durations",
    "xargs": "-I -n -P -d -L -E -s -a",
    "timeout": "-s -k --signal --kill-after",
    "sudo": "-u -g",
    "nice": "-n",
    "tree": "-L -I -P",
    "ls": "-I --ignore",
    "git": "-C -c",
    "awk gawk": "-F -v -f",
    "runtests": "--settings --parallel -k --verbosity -v",
    "xvfb-run": "-s -n -f -e -p --server-args --server-num",
    "uv poetry pdm rye pipenv pixi hatch": "--with --python -p --project --directory --extra --group -e --env",
    "conda mamba micromamba": "-n -p --name --prefix",
}
VALUE_OPTIONS = {name: set(options.split()) for names, options in _VALUE_OPTION_TABLE.items() for name in names.split()}
GIT_READ = frozenset("show log diff status blame branch remote rev-parse ls-files describe shortlog reflog tag".split())
GIT_EDIT = frozenset("apply checkout restore reset stash am cherry-pick revert rm mv merge rebase switch clean".split())
TEST_MODULES = frozenset({"pytest", "py.test", "unittest", "nose", "nose2", "tox", "doctest", "twisted.trial", "trial"})
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")


def normalise_path(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path


def strip_prefixes(words: list[str]) -> list[str]:
    """Drop env assignments, `sudo`, `time`, `timeout N`, `env`, `xargs`, shell keywords and environment runners
    (`uv run`, `poetry run`, `conda run -n env`, `bundle exec`, `npx`) before the program."""
    index = 0
    while index < len(words):
        word = words[index]
        if word in PREFIXES or _ASSIGNMENT.match(word):
            index += 1
        elif word in PREFIXES_WITH_VALUES:
            index = skip_options(words, index + 1, VALUE_OPTIONS.get(word, set())) + PREFIXES_WITH_VALUES[word]
        elif word in RUNNER_PROGRAMS and index + 1 < len(words):
            index = skip_options(words, index + 1, set())
        elif word in RUNNERS and RUNNERS[word] in words[index + 1 : index + 2] and index + 2 < len(words):
            index = skip_options(words, index + 2, VALUE_OPTIONS.get(word, set()))
        else:
            break
    return words[index:]


def skip_options(words: list[str], index: int, value_options: set[str]) -> int:
    while index < len(words) and (words[index].startswith("-") or _ASSIGNMENT.match(words[index])):
        index += 2 if words[index] in value_options else 1
    return index


def positionals(args: list[str], value_options: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Non-option arguments (after the program), skipping the values of options that take one."""
    result: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "--":
            return result + args[index + 1 :]
        elif arg.startswith("-") and len(arg) > 1:
            skip = arg in value_options
        else:
            result.append(arg)
    return result
