"""The test-runner bootstrap, run by the task's interpreter inside the sandbox (`python -I -S -B runner_boot.py`).

It never imports trajsift and keeps to old syntax: the task's Python may be as old as 3.6. In order:
1. site-packages of the task's shared environment only, then pytest, pluggy and the stdlib modules a test
   runner leans on are imported: a `pytest.py`, `_pytest/` or `unittest.py` in the patched tree can no longer
   be what runs. Entry-point plugins are off (`PYTEST_DISABLE_PLUGIN_AUTOLOAD`); the environment's own
   plugins are loaded by name (`-p`), so a plugin registered by the patch's install is never loaded.
2. Every function and method of pytest, pluggy, unittest, `sys.exit`, `os._exit`, ... is fingerprinted.
3. The overlay site dir (the editable install, and what it resolved for this commit) goes on `sys.path` ahead of
   the environment's (as the overlay's own interpreter orders them), the work tree too, `sys.executable` is the
   overlay's interpreter (a test's `python -m project` subprocess sees the install); pytest runs with a
   recorder plugin that streams each test report to the evidence pipe (an fd the host opened; the host reads
   it, so nothing here is a file the tested code could rewrite later).
4. After the session: fingerprints compared, plugins registered by anything but the task's conftest files
   listed, and an end record with the exit status written; then `os._exit`, so no atexit handler of the
   tested code runs. The host cross-checks the stream, the JUnit report and the exit code (`integrity`).
"""

import hashlib
import hmac
import json
import os
import sys

PRELOAD = ("pytest", "_pytest", "pluggy", "unittest", "unittest.mock", "doctest", "atexit", "faulthandler")
WATCHED_PREFIXES = ("_pytest", "pytest", "pluggy", "unittest", "py", "iniconfig", "json", "builtins", "os", "hmac")
WATCHED_PREFIXES += ("hashlib", "__main__")
IMPORT_TIME_PATCHERS = ("_hypothesis_pytestplugin",)
"""Environment plugins that patch pytest when imported (hypothesis wraps `FixtureFunctionMarker.__call__`):
imported from the shared environment before the fingerprint, so their own change is the baseline."""
RECORD = b"\x1e"  # starts every recorder line; cannot occur in the XML written on the same pipe


def read_key():
    """The run's signing key, sent by the host on stdin; stdin is then /dev/null for everything else."""
    chunks = []
    while True:
        chunk = os.read(0, 256)
        if not chunk:
            break
        chunks.append(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return b"".join(chunks).strip()


def emitter(fd, key):
    """Write one signed record to the evidence fd, through functions captured before any tested code runs.
    Each record's MAC chains the previous one, so records cannot be forged, dropped or reordered unseen."""
    write, dumps, new_mac, chain = os.write, json.dumps, hmac.new, [b""]

    def emit(record):
        payload = dumps(record, sort_keys=True)
        mac = new_mac(key, chain[0] + payload.encode(), hashlib.sha256).hexdigest()
        chain[0] = mac.encode()
        write(fd, b"\n" + RECORD + dumps({"p": payload, "m": mac}).encode() + b"\n")

    return emit


def _watched_modules():
    return [
        (name, module)
        for name, module in sorted(sys.modules.items())
        if module is not None and name.split(".")[0] in WATCHED_PREFIXES
    ]


def fingerprint():
    """name -> id of every function/method of the runner's modules and classes, plus process-exit calls."""
    seen = {"sys.exit": id(sys.exit), "os._exit": id(os._exit), "os.write": id(os.write)}
    for name, module in _watched_modules():
        for attr, value in list(vars(module).items()):
            if isinstance(value, type) and getattr(value, "__module__", "") == name:
                for key, member in list(vars(value).items()):
                    if callable(member) or isinstance(member, (property, classmethod, staticmethod)):
                        seen[name + "." + attr + "." + key] = id(member)
            elif callable(value) and not attr.startswith("__"):
                seen[name + "." + attr] = id(value)
    return seen


def changed(before):
    after = fingerprint()
    return sorted(name for name, ident in before.items() if after.get(name) != ident)


class Recorder:
    """Streams reports and checks the plugin registry; registered before any conftest or test module loads."""

    def __init__(self, emit, allowed_conftests, env_sites):
        self.emit, self.allowed = emit, set(allowed_conftests)
        self.env_sites = [os.path.realpath(site) + os.sep for site in env_sites]
        self.foreign = []

    def pytest_collectreport(self, report):
        if report.failed or report.skipped:
            self.emit({"k": "collect", "id": report.nodeid, "o": report.outcome})

    def pytest_runtest_logreport(self, report):
        record = {"k": "report", "id": report.nodeid, "w": report.when, "o": report.outcome}
        if hasattr(report, "wasxfail"):
            record["xfail"] = True
        self.emit(record)

    def pytest_sessionfinish(self, session):
        for plugin in session.config.pluginmanager.get_plugins():
            if not self._allowed(plugin):
                self.foreign.append(repr(plugin)[:200])

    def _allowed(self, plugin):
        """pytest's own objects, the environment's plugins and the task's conftest files; nothing else."""
        module = plugin if isinstance(plugin, type(os)) else sys.modules.get(type(plugin).__module__)
        if getattr(module, "__name__", "").split(".")[0] in WATCHED_PREFIXES:
            return True
        path = os.path.realpath(getattr(module, "__file__", "") or "")
        return path in self.allowed or any(path.startswith(site) for site in self.env_sites)


def _env_plugins(sites):
    """`-p module` for each pytest11 entry point of the shared environment's own distributions."""
    try:
        from importlib import metadata
    except ImportError:
        return []
    names = []
    for dist in metadata.distributions(path=list(sites)):
        for entry in dist.entry_points:
            if entry.group == "pytest11":
                names += ["-p", entry.value.split(":")[0]]
    return names


def _preload_env_patchers(sites):
    """Import the known import-time patchers, only when they live in the shared environment's site dirs (the
    overlay and the work tree are not on `sys.path` yet, so nothing from the patch can stand in for them)."""
    for name in IMPORT_TIME_PATCHERS:
        if any(os.path.exists(os.path.join(site, name + ".py")) for site in sites):
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 - pytest loads it again with `-p` and reports the failure there
                continue
            # imported before pytest could rewrite its asserts: say so, or `-p` warns (an error under
            # `filterwarnings = error`, as astropy sets)
            module = sys.modules[name]
            module.__doc__ = (module.__doc__ or "") + "\nPYTEST_DONT_REWRITE"


def main():
    config = json.loads(os.environ.pop("TRAJSIFT_RUNNER"))
    emit = emitter(int(os.environ.pop("TRAJSIFT_EVIDENCE_FD")), read_key())
    hard_exit, check = os._exit, changed
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = True
    import site

    start = len(sys.path)
    for path in config["env_sites"]:
        site.addsitedir(path)
    for name in PRELOAD:
        __import__(name)
    import pytest

    _preload_env_patchers(config["env_sites"])
    before = fingerprint()
    mark = len(sys.path)
    for path in config["overlay_sites"]:
        site.addsitedir(path)
    overlay = sys.path[mark:]  # ahead of the environment's, as in the overlay's own interpreter: what the install
    del sys.path[mark:]  # resolved for this commit (pylint's astroid) wins over the shared pin; the runner's modules
    sys.path[start:start] = overlay  # are imported already and stay the environment's
    if config["cwd_on_path"]:
        sys.path.insert(0, os.getcwd())
    if config.get("executable"):  # subprocesses of the tests run the overlay's interpreter (editable install)
        sys.executable = config["executable"]
    recorder = Recorder(emit, [os.path.realpath(p) for p in config["conftests"]], config["env_sites"])
    args = _env_plugins(config["env_sites"]) + sys.argv[1:]
    status, aborted = 3, ""
    try:
        status = int(pytest.main(args, plugins=[recorder]))
    except BaseException as exc:  # noqa: BLE001 - SystemExit or anything else out of pytest: not a normal end
        aborted = type(exc).__name__
    tamper = ["changed: " + name for name in check(before)] + ["plugin: " + p for p in recorder.foreign]
    emit({"k": "end", "exit": status, "aborted": aborted, "tamper": tamper})
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or replaced stream must not stop the exit
            pass
    hard_exit(status if not aborted else 3)


if __name__ == "__main__":
    main()
