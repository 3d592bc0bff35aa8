"""The build cache on real git work trees: outputs of a base-tree build stored once, copied into later trees,
dropped (full rebuild) when a patch changes a build input."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from trajsift.harness.build_cache import BuildCache, TreeBuild

OVERLAY = ".trajsift-venv"


def _tree(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    (path / ".gitignore").write_text("*.so\nbuild/\n")
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=path, check=True, capture_output=True)
    return path


COMPILED = {"setup.py": "setup()\n", "pkg/__init__.py": "", "pkg/_speed.c": "int f(void) { return 1; }\n"}


def _fake_build(tree: Path) -> None:
    """What an in-place build leaves behind: an extension module, a generated file, temporary objects."""
    (tree / "pkg" / "_speed.so").write_bytes(b"\x7fELF built")
    (tree / "pkg" / "version.py").write_text("version = '1.0'\n")
    (tree / "pkg" / "__pycache__").mkdir()
    (tree / "pkg" / "__pycache__" / "setup_package.cpython-39.pyc").write_bytes(b"bytecode")
    (tree / "build" / "temp").mkdir(parents=True)
    (tree / "build" / "temp" / "_speed.o").write_bytes(b"object")
    (tree / OVERLAY).mkdir(exist_ok=True)
    (tree / OVERLAY / "installed.pth").write_text("x")


def _cache(tmp_path: Path) -> BuildCache:
    return BuildCache(tmp_path / "builds", "env-fingerprint", skip=(f"{OVERLAY}/",))


def test_a_tree_without_compiled_sources_is_not_cached(tmp_path):
    tree = _tree(tmp_path / "pure", {"setup.py": "setup()\n", "pkg/__init__.py": ""})
    assert _cache(tmp_path).key(tree) is None
    assert TreeBuild(_cache(tmp_path)).start(tree) is False


def test_base_build_is_stored_once_and_copied_into_the_next_tree(tmp_path):
    first = _tree(tmp_path / "a", COMPILED)
    build = TreeBuild(_cache(tmp_path))
    assert build.start(first) is True  # nothing cached yet: the caller builds the base tree
    _fake_build(first)
    build.finish_base(first, built=True)
    assert build.outputs == ["build/temp/_speed.o", "pkg/_speed.so", "pkg/version.py"]  # no bytecode, no overlay
    assert "3 files stored" in build.note

    second = _tree(tmp_path / "b", COMPILED)
    again = TreeBuild(_cache(tmp_path))
    assert again.start(second) is False  # cached: no build needed
    assert (second / "pkg" / "_speed.so").read_bytes() == b"\x7fELF built"
    assert (second / "build" / "temp" / "_speed.o").read_bytes() == b"object"  # where PEP 660 builds look
    assert os.stat(second / "pkg" / "_speed.so").st_mtime >= os.stat(second / "pkg" / "_speed.c").st_mtime
    assert again.note.startswith("reused 3 built files")
    # a copy, not a link: what runs in the tree cannot write into the cache
    (second / "pkg" / "_speed.so").write_bytes(b"tampered")
    third = _tree(tmp_path / "c", COMPILED)
    TreeBuild(_cache(tmp_path)).start(third)
    assert (third / "pkg" / "_speed.so").read_bytes() == b"\x7fELF built"


def test_a_failed_base_build_is_not_stored(tmp_path):
    tree = _tree(tmp_path / "a", COMPILED)
    build = TreeBuild(_cache(tmp_path))
    build.start(tree)
    _fake_build(tree)
    build.finish_base(tree, built=False)
    assert not (tmp_path / "builds").exists() or not any((tmp_path / "builds").iterdir())
    assert TreeBuild(_cache(tmp_path)).start(_tree(tmp_path / "b", COMPILED)) is True


def test_a_patch_to_a_build_input_removes_the_outputs_for_a_full_rebuild(tmp_path):
    first = _tree(tmp_path / "a", COMPILED)
    seed = TreeBuild(_cache(tmp_path))
    seed.start(first)
    _fake_build(first)
    seed.finish_base(first, built=True)

    untouched = _tree(tmp_path / "b", COMPILED)
    build = TreeBuild(_cache(tmp_path))
    build.start(untouched)
    (untouched / "pkg" / "__init__.py").write_text("x = 1\n")  # Python only: the reused build stands
    build.check_patched(untouched)
    assert (untouched / "pkg" / "_speed.so").exists() and "rebuilt" not in build.note

    touched = _tree(tmp_path / "c", COMPILED)
    build = TreeBuild(_cache(tmp_path))
    build.start(touched)
    (touched / "pkg" / "_speed.c").write_text("int f(void) { return 2; }\n")
    build.check_patched(touched)
    assert not (touched / "pkg" / "_speed.so").exists() and not (touched / "pkg" / "version.py").exists()
    assert build.note.endswith("rebuilt from scratch")


def test_a_new_cython_file_from_a_patch_changes_the_key(tmp_path):
    tree = _tree(tmp_path / "a", COMPILED)
    cache = _cache(tmp_path)
    before = cache.key(tree)
    (tree / "pkg" / "_new.pyx").write_text("def g(): return 1\n")
    assert cache.key(tree) != before
    assert BuildCache(tmp_path / "builds", "other-env").key(tree) != cache.key(tree)  # per environment
