"""`integrity.history`: did the run read the fix from outside the task's snapshot?

Patterns (each the first step index showing it):
- `future_access`: git reaching past the base commit: `--all`/`--remotes`/`--branches`/`--tags` walks,
  refs of other branches or remotes (`origin/...`, `main`, `master`, `FETCH_HEAD`, `@{u}`, version tags),
  `git fetch`, `git pull`, `git reflog`, `git clone` of the project. A sha cannot be judged (its
  reachability is unknown here), so `git show <sha>` is not flagged.
- `registry_install`: installing the project under repair from a registry (`pip install django`,
  `pip install -U scikit-learn`, `pip download`, `pip install git+https://github.com/<repo>`);
  `pip install -e .` and other packages are fine.
- `upstream_url`: fetching the project's upstream pages (curl/wget/`gh`/web tools/`requests.get` of
  github.com/<repo>, raw.githubusercontent.com, the project's PyPI page). Mentioning a URL is fine.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

from trajsift import reasons
from trajsift.actions.shell import split_segments
from trajsift.actions.tables import strip_prefixes
from trajsift.checks.integrity import IntegrityCheck, Project, RunView, first_hits, normalise_name
from trajsift.checks.integrity_changes import segment_words, step_commands, step_urls
from trajsift.schema import Step

ALWAYS = frozenset({"fetch", "pull", "reflog", "ls-remote"})
REF_COMMANDS = frozenset(
    "log show diff checkout switch cherry-pick merge rebase reset restore shortlog whatchanged rev-list "
    "format-patch archive ls-tree cat-file grep blame difftool branch worktree".split()
)
WALK_FLAGS = ("--all", "--remotes", "--branches", "--tags", "--glob")
LISTING_FLAGS = frozenset({"-a", "-r", "--all", "--remotes"})
GIT_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree"})
OTHER_BRANCHES = frozenset({"main", "master", "develop", "development", "trunk", "FETCH_HEAD", "MERGE_HEAD"})
REMOTE_PREFIXES = ("origin/", "upstream/", "remotes/", "refs/remotes/", "refs/tags/", "tags/", "refs/pull/")
VERSION_TAG = re.compile(r"^v?\d+\.\d+(?:\.\d+)*(?:[abrc]+\d*)?$")
REF_SUFFIX = re.compile(r"[~^][\d^~]*$|:.*$")
PIP = frozenset({"pip", "pip3", "easy_install", "conda", "mamba", "micromamba", "pipx", "poetry"})
PIP_VERBS = frozenset({"install", "download", "add", "wheel"})
PIP_VALUE_OPTIONS = frozenset(
    "-e --editable -r --requirement -c --constraint -i --index-url --extra-index-url -t --target -f --find-links "
    "--prefix --root -d --dest --python -n --name -p --channel --src --upgrade-strategy".split()
)
VERSION_SPEC = re.compile(r"\[.*|[=<>!~@;].*|\s.*")
FETCHERS = frozenset({"curl", "wget", "http", "https", "aria2c", "lynx", "w3m", "links", "elinks", "xh", "httpie"})
GH_VERBS = frozenset({"pr", "api", "repo", "release", "issue", "browse", "search"})
MENTIONS = re.compile(
    r"\b(?:git|pip\d?(?:\.\d+)?|conda|mamba|micromamba|uv|pipx|poetry|easy_install|gh|curl|wget|https?|aria2c|"
    r"lynx|w3m|e?links|xh|httpie)\b|://"
)
"""A command none of the patterns can match without naming one of these (a cheap first look)."""
PY_FETCH = re.compile(
    r"\b(?:requests|httpx|urllib3?|aiohttp|session)\.\w*(?:get|open|request|retrieve)\w*\(|\b(?:urlopen|urlretrieve|goto)\("
    r"|['\"](?:curl|wget)['\"]|\b(?:import|from)\s+(?:urllib|requests|httpx|aiohttp|urllib3)\b"
)


class HistoryCheck(IntegrityCheck):
    id: ClassVar[str] = "integrity.history"
    description: ClassVar[str] = (
        "reads of the repository's future: other refs, remotes, registry releases, upstream URLs"
    )
    patterns: ClassVar[dict[str, str]] = {
        "future_access": reasons.INTEGRITY_FUTURE_HISTORY,
        "registry_install": reasons.INTEGRITY_REGISTRY_INSTALL,
        "upstream_url": reasons.INTEGRITY_UPSTREAM_URL,
    }
    reads_changes: ClassVar[bool] = False

    def scan(self, view: RunView) -> dict[str, int]:
        found = []
        for index, step in enumerate(view.traj.steps):
            found.extend((name, index) for name in step_patterns(step, view.project))
        return first_hits(found)


def step_patterns(step: Step, project: Project) -> set[str]:
    names: set[str] = set()
    upstream = upstream_pattern(project.repo, tuple(sorted(project.names)))
    for text in step_commands(step):
        if not MENTIONS.search(text):
            continue
        segments = split_segments(text)
        for segment in segments:
            words = strip_prefixes(segment_words(segment)[0])
            names.update(_segment_patterns(words, project, upstream))
        visible = "\n".join(segments)
        if upstream is not None and PY_FETCH.search(visible) and upstream.search(visible):
            names.add("upstream_url")
    if upstream is not None and any(upstream.search(url) for url in step_urls(step)):
        names.add("upstream_url")
    return names


def _segment_patterns(words: list[str], project: Project, upstream: re.Pattern[str] | None) -> set[str]:
    if not words:
        return set()
    program = words[0].lstrip("!").rsplit("/", 1)[-1]  # `!git ...` in a notebook cell
    args = words[1:]
    if program.startswith("python") and args[:2] == ["-m", "pip"]:
        program, args = "pip", args[2:]
    elif program == "uv" and args[:1] == ["pip"]:
        program, args = "pip", args[1:]
    found = set()
    if program == "git" and git_reaches_future(args, project):
        found.add("future_access")
    if program in PIP and installs_project(args, project):
        found.add("registry_install")
    fetching = program in FETCHERS or (program == "gh" and bool(GH_VERBS & set(args[:2])))
    if program == "gh" and fetching:
        found.add("upstream_url")
    elif fetching and upstream is not None and any(upstream.search(arg) for arg in args):
        found.add("upstream_url")
    return found


def git_reaches_future(args: list[str], project: Project) -> bool:
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in GIT_VALUE_OPTIONS else 1
    if index >= len(args):
        return False
    sub, rest = args[index], args[index + 1 :]
    if sub in ALWAYS:
        return True
    if sub == "clone":
        return any(_names_project(arg, project) for arg in rest)
    if "--contains" in rest and sub in ("describe", "tag", "branch"):  # refs made after the given commit
        return True
    if sub not in REF_COMMANDS:
        return False
    if sub == "branch":
        return bool(LISTING_FLAGS & set(rest))
    if any(arg.startswith(WALK_FLAGS) for arg in rest if arg.startswith("--")):
        return True
    values = [arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg for arg in rest]
    if "--" in rest:
        values = values[: rest.index("--")]
    return any(is_other_ref(value, project.base_commit) for value in values)


def is_other_ref(word: str, base_commit: str = "") -> bool:
    """A revision naming another branch, a remote, a fetched head or a release tag (`a..b` ranges split)."""
    for part in re.split(r"\.\.\.?", word):
        ref = REF_SUFFIX.sub("", part)
        if not ref or (base_commit and base_commit.startswith(ref)):
            continue
        if ref in OTHER_BRANCHES or ref.startswith(REMOTE_PREFIXES) or ref.startswith("@{"):
            return True
        if "@{u" in ref or "@{push}" in ref or VERSION_TAG.match(ref):
            return True
    return False


def installs_project(args: list[str], project: Project) -> bool:
    """`pip install|download <project>`: a registry release of the project (local paths and `-e` are fine)."""
    verb = next((i for i, arg in enumerate(args) if not arg.startswith("-")), None)
    if verb is None or args[verb] not in PIP_VERBS:
        return False
    skip = False
    for arg in args[verb + 1 :]:
        if "://" in arg or arg.startswith("git@"):  # also an option's value: `-e git+https://...`
            if _names_project(arg, project):
                return True
            skip = False
            continue
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in PIP_VALUE_OPTIONS
            continue
        if "/" in arg or arg.startswith("."):
            continue
        if normalise_name(VERSION_SPEC.sub("", arg).strip("'\"")) in project.names:
            return True
    return False


def _names_project(url: str, project: Project) -> bool:
    pattern = upstream_pattern(project.repo, tuple(sorted(project.names)))
    return pattern is not None and bool(pattern.search(url))


@lru_cache(maxsize=256)
def upstream_pattern(repo: str, names: tuple[str, ...]) -> re.Pattern[str] | None:
    """URLs of the project upstream: its GitHub repo (pages, raw files, API, archives) and its PyPI pages."""
    alternatives = []
    if repo:
        owner, name = (re.escape(part) for part in repo.split("/", 1))
        hosts = r"(?:github\.com[/:]|raw\.githubusercontent\.com/|api\.github\.com/repos/|codeload\.github\.com/"
        hosts += r"|patch-diff\.githubusercontent\.com/raw/)"
        alternatives.append(rf"{hosts}{owner}/{name}(?:\.git)?(?![\w.-])")
    for name in names:
        flexible = "[-_.]".join(re.escape(part) for part in re.split(r"[-_.]", name))
        alternatives.append(rf"pypi\.org/(?:project|simple|pypi)/{flexible}(?![\w.-])")
        alternatives.append(rf"files\.pythonhosted\.org/\S*/{flexible}-\d")
    return re.compile("|".join(alternatives), re.I) if alternatives else None
