"""The table rows of the compiled SWE-bench repositories (scikit-learn, matplotlib): pins that exist for the row's
Python, and a matplotlib build that links the system's FreeType / Qhull (setup.py's downloads are unreachable) with
the text-rendering extension from the release wheel (FreeType 2.6.1, as the image baselines)."""

from __future__ import annotations

import configparser
import subprocess

import pytest

from trajsift.harness import env_specs, swebench_specs
from trajsift.harness.grading.testrun import install_steps
from trajsift.harness.task_env import spec_for_task
from trajsift.tasks import Task

# numpy releases and the oldest Python minor their wheels need (numpy's own Requires-Python)
NUMPY_MIN_PYTHON = {"1.19": (3, 6), "1.21": (3, 7), "1.24": (3, 8), "1.25": (3, 9), "1.26": (3, 9)}
NUMPY_MAX_PYTHON = {"1.19": (3, 8), "1.21": (3, 10), "1.24": (3, 11), "1.25": (3, 11), "1.26": (3, 12)}


def _spec(repo: str, version: str):
    return spec_for_task(Task(task_id="t", repo=repo, version=version))


def _pin(spec, name: str) -> str:
    pins = [p for p in spec.packages if swebench_specs.project_name(p) == name]
    assert len(pins) == 1, f"{name}: {pins}"
    return pins[0]


LITE_VERSIONS = [("scikit-learn/scikit-learn", v) for v in ("0.20", "0.21", "0.22", "1.3")] + [
    ("matplotlib/matplotlib", v) for v in ("3.3", "3.5", "3.6", "3.7")
]


@pytest.mark.parametrize(("repo", "version"), LITE_VERSIONS)
def test_numpy_pin_has_wheels_for_the_rows_python(repo, version):
    spec = _spec(repo, version)
    numpy = _pin(spec, "numpy")
    assert "==" in numpy, "a compiled repository builds against one numpy"
    minor = ".".join(numpy.split("==")[1].split(".")[:2])
    python = tuple(int(part) for part in spec.python.split(".")[:2])
    assert NUMPY_MIN_PYTHON[minor] <= python <= NUMPY_MAX_PYTHON[minor], (spec.python, numpy)


@pytest.mark.parametrize(
    ("version", "release"), [("3.3", "3.3.4"), ("3.5", "3.5.3"), ("3.6", "3.6.3"), ("3.7", "3.7.5")]
)
def test_matplotlib_links_system_libraries_and_takes_ft2font_from_the_release_wheel(version, release, tmp_path):
    spec = _spec("matplotlib/matplotlib", version)
    steps = install_steps(spec)
    networked = [command for command, network in steps if network]
    # FreeType 2.6.1 (the image baselines') only from the release wheel, fetched on the base tree before any patch
    # 3.5 also resolves the tree's own requirements on the base tree (22711's setup.py asks for pyparsing<3)
    assert networked[1:] == ([env_specs.RESOLVE_DEPS] if version == "3.5" else [])
    assert f"for release in {release} " in networked[0] and "ft2font" in networked[0]
    assert networked[0].startswith("[ -e lib/matplotlib/ft2font.")  # a tree restored from the build cache skips it
    assert "build_platlib" in networked[0]  # also where the in-place build looks, or it compiles its own over it
    assert "--no-index" in steps[-1][0] and not steps[-1][1]  # the patched tree's install stays offline
    subprocess.run(["/bin/sh", "-c", steps[0][0]], cwd=tmp_path, check=True)  # the config the build reads
    config = configparser.ConfigParser()
    config.read(tmp_path / "mplsetup.cfg")
    assert config.getboolean("libs", "system_freetype") and config.getboolean("libs", "system_qhull")
    assert spec.env["SETUPTOOLS_ENABLE_FEATURES"] == "legacy-editable"  # extensions in place: the cache's copies
    assert spec.env["SETUPTOOLS_SCM_PRETEND_VERSION"] == f"{version}.0"
    # setup.py's setup_requires must be met offline, or setuptools tries to fetch them
    assert {"certifi", "setuptools-scm"} <= {swebench_specs.project_name(p) for p in spec.packages}


def test_ft2font_step_skips_a_tree_that_has_it(tmp_path):
    step = install_steps(_spec("matplotlib/matplotlib", "3.6"))[1][0]
    (tmp_path / "lib" / "matplotlib").mkdir(parents=True)
    (tmp_path / "lib" / "matplotlib" / "ft2font.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    # with the extension present (restored from the build cache) nothing runs, pip included: exit 0 offline
    done = subprocess.run(["/bin/sh", "-c", step], cwd=tmp_path, env={"PATH": "/nonexistent"}, capture_output=True)
    assert done.returncode == 0


# stands in for the network: `pip install --target DIR matplotlib==R` gives R's ft2font as $FAKE_WHEELS/R holds it;
# `python -c ...` (the build dir query) prints build/lib
FAKE_PYTHON = r"""#!/bin/sh
if [ "$1" = "-c" ]; then echo build/lib; exit 0; fi
for arg; do if [ "$prev" = "--target" ]; then target="$arg"; fi; prev="$arg"; done
mkdir -p "$target/matplotlib" && cp "$FAKE_WHEELS/${prev#matplotlib==}" "$target/matplotlib/ft2font.cpython-310.so"
"""


def _run_ft2font_step(tmp_path, tree_signature: str, signatures: dict[str, str]):
    step = install_steps(_spec("matplotlib/matplotlib", "3.5"))[1][0]
    tree, bin_dir, wheels = tmp_path / "tree", tmp_path / "bin", tmp_path / "wheels"
    for folder in (tree / "src", tree / "lib" / "matplotlib", bin_dir, wheels):
        folder.mkdir(parents=True)
    (tree / "src" / "ft2font_wrapper.cpp").write_text(f'const char *doc =\n    "{tree_signature}\\n"\n')
    for release, signature in signatures.items():  # a binary holding the docstring among other bytes
        (wheels / release).write_bytes(b"\x7fELF\0" + f"{signature}\n--\n".encode() + b"\0")
    (bin_dir / "python").write_text(FAKE_PYTHON)
    (bin_dir / "python").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "VIRTUAL_ENV": str(tmp_path / "venv"), "FAKE_WHEELS": str(wheels)}
    done = subprocess.run(["/bin/sh", "-c", step], cwd=tree, env=env, capture_output=True, text=True)
    return done, tree / "lib" / "matplotlib" / "ft2font.cpython-310.so"


def test_ft2font_comes_from_the_release_whose_signature_the_tree_documents(tmp_path):
    newer = "FT2Font(filename, hinting_factor=8, *, _fallback_list=None, _kerning_factor=0)"
    older = "FT2Font(filename, hinting_factor=8, *, _kerning_factor=0)"
    done, copied = _run_ft2font_step(tmp_path, newer, {"3.5.3": older, "3.6.3": newer})
    assert done.returncode == 0, done.stderr
    assert newer.encode() in copied.read_bytes() and (tmp_path / "tree/build/lib/matplotlib").is_dir()
    # a tree of the label's own release takes that release's wheel, the first tried
    done, copied = _run_ft2font_step(tmp_path / "old", older, {"3.5.3": older, "3.6.3": newer})
    assert done.returncode == 0 and older.encode() + b"\n" in copied.read_bytes()


def test_no_wheel_with_the_trees_ft2font_signature_fails_the_step_saying_why(tmp_path):
    other = "FT2Font(filename, something_else)"
    done, copied = _run_ft2font_step(tmp_path, "FT2Font(filename, mine)", {"3.5.3": other, "3.6.3": other})
    assert done.returncode == 1 and "FT2Font(filename, mine)" in done.stderr and not copied.exists()


def test_matplotlib_3_5_runs_where_its_release_has_a_wheel():
    assert _spec("matplotlib/matplotlib", "3.5").python == "3.10"  # 3.5.3 ships no 3.11 wheel
    assert _spec("matplotlib/matplotlib", "3.8").pre_install  # a later version still builds (system FreeType)


def test_matplotlib_old_rows_keep_setuptools_scm_below_the_setuptools_it_needs():
    old = _spec("matplotlib/matplotlib", "3.3")
    assert old.python == "3.8"
    assert _pin(old, "setuptools-scm").startswith("setuptools-scm==6")  # 7 wants setuptools>=60's features
    assert "setuptools_scm_git_archive" in old.packages  # named by 3.3 / 3.5's setup_requires


def test_scikit_learn_rows_follow_the_harness_pythons():
    assert _spec("scikit-learn/scikit-learn", "0.20").python == "3.6"
    assert _spec("scikit-learn/scikit-learn", "1.3").python == "3.9"
    for version in ("0.22", "1.3"):
        assert _pin(_spec("scikit-learn/scikit-learn", version), "cython").startswith("cython==0.29")


@pytest.mark.parametrize("version", ["1.3", "3.0", "3.1"])
def test_old_astropy_pins_its_setup_requires_for_python_3_6(version):
    # its setup.py asks for jinja2 at build time: left to easy_install, the newest MarkupSafe (Python >= 3.9) came
    spec = _spec("astropy/astropy", version)
    assert spec.python == "3.6"
    assert _pin(spec, "jinja2").startswith("jinja2==2.") and _pin(spec, "markupsafe").startswith("markupsafe==1.")
