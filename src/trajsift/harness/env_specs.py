"""trajsift's own table of environments for the SWE-bench repositories: no `swebench` package needed.

For each `owner/name` and version: the Python the tests were graded with, the packages (PyPI names with pins;
where the upstream recipe is a conda `environment.yml`, its packages translated to PyPI wheels), the install
step, the test command and environment variables. `spec(repo, version)` returns a dict with the keys the spec
adapter (`swebench_specs.env_spec`) reads: python, packages, pre_install, install, test_cmd, env, services (local
stand-ins for internet services the tests call: requests' httpbin).

hypothesis is left out where the tests can do without it (they skip); astropy's conftest imports it (through
pytest-astropy), and the runner takes its plugin's import-time patch of pytest as the baseline. Conda-only packages
are in `NO_PYPI` with what replaces them (a Debian package, or nothing: their tests skip, neutral in PASS_TO_PASS).
`RESOLVE_DEPS`, a pre-install step run with the network on the base tree (before any patch code exists), installs
what the project's metadata asks for that the table does not pin, into the work tree's overlay.

Where the upstream recipe wraps its tests in `tox` (sphinx), the test command is tox's own pytest call, run with
the overlay's interpreter; Django runs its `tests/runtests.py`; sympy its `bin/test`.
"""

from __future__ import annotations

import re
from typing import Any

RESOLVE_DEPS = "python -m pip install --no-build-isolation --disable-pip-version-check -q -e ."
REQUIREMENTS = "python -m pip install --disable-pip-version-check -q -r {path}"
PYTEST = "pytest -rA"
SCM_VERSIONED = frozenset({"pytest-dev/pytest", "pydata/xarray", "matplotlib/matplotlib", "astropy/astropy"})
MODERN_SETUPTOOLS = "setuptools>=62.6,<70; python_version >= '3.7'"

NO_PYPI = {
    "pydata/xarray": {
        "cdms2": "none (conda-forge only): tests skip",
        "pynio": "none (conda-forge only): tests skip",
        "cfgrib": "none (needs the eccodes C library): tests skip",
        "iris": "scitools-iris not installed (needs conda's udunits2): tests skip",
        "rasterio": "none by default (needs GDAL): tests skip",
    },
    "matplotlib/matplotlib": {
        "freetype 2.6.1 / qhull (downloaded by setup.py)": "Debian `libfreetype-dev` (2.12 here: text-rendering image "
        "tests differ from the 2.6.1 baselines) and `libqhull-dev` (the same Qhull 2020.2)",
        "ghostscript": "Debian `ghostscript` (apt-get install ghostscript), else those image tests skip",
        "inkscape": "Debian `inkscape`, else the SVG comparison tests skip",
        "graphviz": "Debian `graphviz`",
        "pygobject / pyqt / wxpython / tk": "GUI backends: not installed, their tests skip",
        "ffmpeg": "Debian `ffmpeg`, else the animation-writer tests skip",
    },
}

# --- per-repository rows: (versions, fields) ---------------------------------------------------------------
_SYMPY = {"python": "3.9", "packages": ["mpmath==1.3.0", "flake8", "flake8-comprehensions"]}
_SYMPY_TEST = "PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose"

_PYTEST_OLD = ["atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "py==1.11.0", "six==1.16.0"]
_PYTEST_5 = ["atomicwrites==1.4.1", "attrs==23.1.0", "more-itertools==10.1.0", "packaging==23.1", "py==1.11.0"]
_PYTEST_6 = ["attrs==23.1.0", "iniconfig==2.0.0", "packaging==23.1", "py==1.11.0", "toml==0.10.2"]

# pylint: the astroid its `requirements_test_min.txt` pins at the environment setup commit, and `py` (its tests
# import `py._path`, which pytest's own `py` shim lacks)
_PYLINT = ["pytest==7.4.0", "pytest-timeout", "GitPython", "py==1.11.0"]
# requests: its tests call httpbin.org (`HTTPBIN_URL`); a local httpbin answers them in the sandbox, its CA added to
# the vendored bundle `Session.send` verifies against (`grading.services`)
_REQUESTS = ["pytest==7.4.0", "pytest-httpbin<2", "pytest-mock", "trustme", "httpbin==0.10.4"]
_FLASK = [
    "Werkzeug==2.3.7",
    "itsdangerous==2.1.2",
    "MarkupSafe==2.1.3",
    "pytest==7.4.0",
    "flit_core<4",
    "setuptools==70.0.0",
]

_SEABORN = [
    "contourpy==1.1.0", "cycler==0.11.0", "fonttools==4.42.1", "importlib-resources==6.0.1", "kiwisolver==1.4.5",
    "matplotlib==3.7.2", "numpy==1.25.2", "packaging==23.1", "pandas==1.5.3", "pillow==10.0.0", "pyparsing==3.0.9",
    "pytest==7.4.0", "python-dateutil==2.8.2", "pytz==2023.3.post1", "scipy==1.11.2", "six==1.16.0", "tzdata==2023.1",
    "zipp==3.16.2", "flit_core<4",
]  # fmt: skip

# xarray's ci/requirements/environment.yml, translated to PyPI wheels for Python 3.10 (see NO_PYPI)
_XARRAY = [
    "numpy==1.23.0", "pandas==1.5.3", "scipy==1.11.1", "dask[array,dataframe]==2022.8.1", "distributed==2022.8.1",
    "packaging==23.1", "pytest==7.4.0", "python-dateutil==2.8.2", "pytz==2023.3", "six==1.16.0",
    "setuptools==68.0.0", "bottleneck", "cftime", "netCDF4", "h5netcdf", "h5py", "zarr<2.15", "toolz", "fsspec",
    "pint<0.21", "sparse", "pytest-env", "matplotlib<3.8", "seaborn", "nc-time-axis", "pooch",
    "numbagg", "numba", "typing_extensions",
]  # fmt: skip

_SPHINX_OLD = [
    "Jinja2==3.0.3", "MarkupSafe==2.1.3", "alabaster==0.7.11", "docutils==0.16", "Pygments==2.15.1",
    "sphinxcontrib-applehelp==1.0.4", "sphinxcontrib-devhelp==1.0.2", "sphinxcontrib-jsmath==1.0.1",
    "sphinxcontrib-htmlhelp==2.0.1", "sphinxcontrib-serializinghtml==1.1.5", "sphinxcontrib-qthelp==1.0.3",
    "snowballstemmer", "babel", "imagesize", "requests", "packaging", "html5lib", "pytest<8", "pytest-cov",
    "cython<3", "typed_ast", "setuptools<70",
]  # fmt: skip
_SPHINX_NEW = [p for p in _SPHINX_OLD if not p.startswith(("docutils", "alabaster", "typed_ast"))] + [
    "docutils<0.20",
    "alabaster<0.8",
]
# Sphinx 6+ builds with flit (pyproject.toml): the offline, no-build-isolation installs need its backend in the env
_SPHINX_FLIT = [*_SPHINX_NEW, "flit_core>=3.7,<4"]
_SPHINX_TEST = "pytest -rA --durations 25"

_LEGACY = {"SETUPTOOLS_ENABLE_FEATURES": "legacy-editable"}
# Django: tests/requirements/py3.txt at each version's environment setup commit, installed into the shared env once
# (as the harness's env image), less pylibmc / pywatchman (C client libraries) and colorama (Windows only)
_DJANGO_TEST = "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1"
# (upper caps: the releases of the harness's time; geoip2's aiohttp chain capped, or pip backtracks for many minutes)
_DJANGO_COMMON = ["bcrypt", "docutils<0.21", "geoip2<5", "aiohttp<3.10", "multidict<6.1", "yarl<1.10", "numpy<2"]
_DJANGO_COMMON += ["PyYAML", "tblib>=1.5.0"]
_DJANGO_30 = [
    *_DJANGO_COMMON, "asgiref~=3.2", "argon2-cffi>=16.1.0", "jinja2>=2.9.2", "Pillow!=5.4.0",
    "python-memcached>=1.59", "pytz", "selenium", "sqlparse>=0.2.2",
]  # fmt: skip
_DJANGO_31 = [
    *_DJANGO_COMMON, "asgiref>=3.2", "argon2-cffi>=16.1.0", "jinja2>=2.9.2", "Pillow>=6.2.0",
    "python-memcached>=1.59", "pytz", "selenium", "sqlparse>=0.2.2",
]  # fmt: skip
_DJANGO_32 = [
    *_DJANGO_COMMON, "asgiref>=3.3.2", "argon2-cffi>=16.1.0", "jinja2>=2.9.2", "Pillow>=6.2.0",
    "python-memcached>=1.59", "pytz", "selenium", "sqlparse>=0.2.2", "backports.zoneinfo; python_version < '3.9'",
    "pymemcache>=3.4.0", "tzdata",
]  # fmt: skip
_DJANGO_40 = [*_DJANGO_32, "redis>=3.0.0"]
_DJANGO_41 = [
    *_DJANGO_COMMON, "asgiref>=3.4.1", "argon2-cffi>=16.1.0", "jinja2>=2.9.2", "Pillow>=6.2.0", "pytz",
    "selenium", "sqlparse>=0.2.2", "backports.zoneinfo; python_version < '3.9'", "pymemcache>=3.4.0", "tzdata",
    "redis>=3.0.0", "aiosmtpd", "black<24",
]  # fmt: skip
_DJANGO_42 = [
    *_DJANGO_COMMON, "asgiref>=3.6.0", "argon2-cffi>=19.2.0", "jinja2>=2.11.0", "Pillow>=6.2.1", "pytz",
    "selenium", "sqlparse>=0.3.1", "backports.zoneinfo; python_version < '3.9'", "pymemcache>=3.4.0", "tzdata",
    "redis>=3.4.0", "aiosmtpd", "black<24",
]  # fmt: skip
_DJANGO_50 = [
    *_DJANGO_COMMON, "asgiref>=3.7.0", "argon2-cffi>=19.2.0", "jinja2>=2.11.0", "Pillow>=6.2.1",
    "selenium>=4.8.0", "sqlparse>=0.3.1", "pymemcache>=3.4.0", "tzdata", "redis>=3.4.0", "aiosmtpd", "black<24",
]  # fmt: skip

_SKLEARN_OLD = ["numpy==1.19.2", "scipy==1.5.2", "cython==0.29.36", "joblib", "threadpoolctl", "pytest<7"]
_SKLEARN_NEW = ["numpy==1.25.2", "scipy==1.11.2", "cython==0.29.36", "joblib", "threadpoolctl", "pytest"]
# pandas (conda's recipe has it) where Lite tasks' tests import it (0.20's ColumnTransformer / check_array, 1.3's
# set_output); elsewhere the tests that want it skip (neutral in PASS_TO_PASS)
_SKLEARN_PANDAS = {"0.20": "pandas==1.1.5", "1.3": "pandas==1.5.3"}
_PY36_JINJA2 = ["jinja2==2.11.3", "markupsafe==1.1.1"]  # else astropy's setup_requires gets a MarkupSafe without 3.6

_ASTROPY = [
    "numpy==1.25.2", "pyerfa", "PyYAML", "packaging", "cython<3", "extension-helpers", "setuptools_scm<8",
    "pytest==7.4.0", "pytest-astropy", "pytest-doctestplus", "pytest-remotedata", "pytest-astropy-header",
    "pytest-arraydiff", "pytest-openfiles", "pytest-filter-subpackage", "pytest-mock",
]  # fmt: skip

# matplotlib's environment.yml, translated to PyPI (see NO_PYPI). Its setup downloads FreeType 2.6.1 and Qhull,
# but only PyPI and Debian are reachable here: the build links the system's (Debian libfreetype-dev, libqhull-dev)
# through an `mplsetup.cfg` written before the install. The image tests' baselines are rendered with FreeType 2.6.1,
# so `ft2font` (the one extension that renders text) comes from the release wheel of the same series, which links
# 2.6.1 statically: fetched with the network on the base tree, and found up to date by the in-place build
MPLSETUP = r"printf '[libs]\nsystem_freetype = true\nsystem_qhull = true\n' > mplsetup.cfg"
# setuptools' in-place build compiles into its build dir and copies to the tree: the wheel's copy goes to both
_BUILD_DIR = "from setuptools.dist import Distribution as D; c = D().get_command_obj('build'); c.finalize_options()"
# A version label's commits can be ahead of its release (matplotlib-23563, labelled 3.5, calls 3.6's
# `FT2Font(..., _fallback_list=...)`): a wheel's `ft2font` is taken only when its binary carries the signature the
# tree's `src/ft2font_wrapper.cpp` documents, trying the label's release, then the next series'
_FT2FONT_SIGNATURE = 'sig="$(grep -o \'FT2Font(filename[^"\\\\]*\' src/ft2font_wrapper.cpp 2>/dev/null | head -n 1)"'
FT2FONT_FROM_WHEEL = (
    f"[ -e lib/matplotlib/ft2font.*.so ] || ({_FT2FONT_SIGNATURE}; for release in {{releases}}; do"
    ' wheel="$VIRTUAL_ENV/wheel-$release"; python -m pip install -q --disable-pip-version-check --no-deps'
    ' --target "$wheel" "matplotlib==$release" && grep -qF "$sig" "$wheel"/matplotlib/ft2font.*.so'
    f' && lib="$(python -c "{_BUILD_DIR}; print(c.build_platlib)")/matplotlib" && mkdir -p "$lib"'
    ' && cp "$wheel"/matplotlib/ft2font.*.so lib/matplotlib/ && cp lib/matplotlib/ft2font.*.so "$lib/" && exit 0;'
    ' done; echo "no release wheel has an ft2font with this tree\'s signature: $sig" >&2; exit 1)'
)
# the releases whose wheels may give `ft2font`, in order (3.5.3 has no Python 3.11 wheel: the 3.5 row runs on 3.10)
MPL_RELEASES = {
    "3.3": ("3.3.4", "3.4.3"), "3.4": ("3.4.3", "3.5.3"), "3.5": ("3.5.3", "3.6.3"), "3.6": ("3.6.3", "3.7.5"),
    "3.7": ("3.7.5", "3.8.4"),
}  # fmt: skip
_MPL_COMMON = [
    "cycler==0.11.0", "kiwisolver==1.4.5", "packaging==23.1", "pillow==10.0.0", "pyparsing==3.0.9",
    "python-dateutil==2.8.2", "six==1.16.0", "certifi", "setuptools_scm_git_archive", "pytest<8",
    "pytest-rerunfailures", "pytest-timeout", "pytest-xdist",
]  # fmt: skip
_MATPLOTLIB = [
    *_MPL_COMMON, "contourpy==1.1.0", "fonttools==4.42.1", "numpy==1.25.2", "setuptools==68.1.2",
    "setuptools-scm==7.1.0", "typing-extensions==4.7.1", "pybind11", "cython<3", "pikepdf",
]  # fmt: skip
# 3.3 / 3.4 (Python 3.8): numpy of their time (1.25 has no 3.8 wheel), setuptools_scm 6 (its 7 needs setuptools 60)
_MATPLOTLIB_OLD = [*_MPL_COMMON, "numpy==1.21.6", "setuptools==59.8.0", "setuptools-scm==6.4.2"]
# their setupext reads `setup.cfg` unless MPLSETUPCFG names another file (`mplsetup.cfg` came with 3.4's releases)
_MPL_OLD_ENV = {"env": {**_LEGACY, "MPLSETUPCFG": "mplsetup.cfg"}}


def _ft2font(version: str) -> str:
    return FT2FONT_FROM_WHEEL.format(releases=" ".join(MPL_RELEASES[version]))


_TABLE: dict[str, list[tuple[tuple[str, ...], dict[str, Any]]]] = {
    "sympy/sympy": [(("*",), {**_SYMPY, "test_cmd": _SYMPY_TEST})],
    "pytest-dev/pytest": [
        (("4.4",), {"packages": [*_PYTEST_OLD, "pluggy==0.13.1"]}),
        (("4.5",), {"packages": [*_PYTEST_OLD, "pluggy==0.11.0", "wcwidth==0.2.6"]}),
        (("4.6",), {"packages": [*_PYTEST_OLD, "packaging==23.1", "pluggy==0.13.1"]}),
        (("5.0", "5.1", "5.2", "5.3", "5.4"), {"packages": [*_PYTEST_5, "pluggy==0.13.1"]}),
        (("6.0", "6.2", "6.3"), {"packages": [*_PYTEST_6, "pluggy==0.13.1", "more-itertools==10.1.0"]}),
        (("7.0", "7.1", "7.2", "7.4"), {"packages": [*_PYTEST_6, "pluggy==0.13.1", "tomli==2.0.1"]}),
        (("8.0", "8.1", "8.2"), {"packages": ["iniconfig==2.0.0", "packaging==23.1", "pluggy==1.3.0", "tomli"]}),
    ],
    "psf/requests": [(("*",), {"packages": _REQUESTS, "services": {"httpbin": ["--trust", "requests/cacert.pem"]}})],
    "pallets/flask": [
        (("2.0", "2.1", "2.2"), {"packages": [*_FLASK, "Jinja2==3.0.1", "click==8.0.1"]}),
        (("*",), {"python": "3.11", "packages": [*_FLASK, "Jinja2==3.1.2", "click==8.1.3", "blinker==1.6.2"]}),
    ],
    "mwaskom/seaborn": [(("*",), {"packages": _SEABORN, "test_cmd": "pytest --no-header -rA"})],
    "pydata/xarray": [(("*",), {"python": "3.10", "packages": _XARRAY})],
    # pylint finds its checkers through sys.path: a path-based (legacy) editable install, as the harness's
    "pylint-dev/pylint": [
        (("2.13",), {"packages": [*_PYLINT, "astroid==2.11.3"], "resolve": True, "env": _LEGACY}),
        (("2.14",), {"packages": [*_PYLINT, "astroid==2.11.6"], "resolve": True, "env": _LEGACY}),
        (("2.15",), {"packages": [*_PYLINT, "astroid==2.12.13"], "resolve": True, "env": _LEGACY}),
        (("*",), {"packages": _PYLINT, "resolve": True, "env": _LEGACY}),
    ],
    "sphinx-doc/sphinx": [
        (("3.0", "3.1", "3.2", "3.3", "3.4", "3.5"), {"packages": _SPHINX_OLD}),
        (("4.0", "4.1", "4.2", "4.3", "4.4", "4.5", "5.0", "5.1", "5.2", "5.3"), {"packages": _SPHINX_NEW}),
        (("*",), {"packages": _SPHINX_FLIT}),
    ],
    "django/django": [
        (("1.9", "1.10", "1.11", "2.0", "2.1", "2.2", "3.0"), {"python": "3.6", "packages": _DJANGO_30}),
        (("3.1",), {"python": "3.6", "packages": _DJANGO_31}),
        (("3.2",), {"python": "3.6", "packages": _DJANGO_32}),
        (("4.0",), {"python": "3.8", "packages": _DJANGO_40}),
        (("4.1",), {"python": "3.9", "packages": _DJANGO_41}),
        (("4.2",), {"python": "3.9", "packages": _DJANGO_42}),
        (("*",), {"python": "3.11", "packages": _DJANGO_50}),
    ],
    "scikit-learn/scikit-learn": [
        (("0.20",), {"python": "3.6", "packages": [*_SKLEARN_OLD, _SKLEARN_PANDAS["0.20"]]}),
        (("0.21", "0.22"), {"python": "3.6", "packages": _SKLEARN_OLD}),
        # the harness installs with `--no-use-pep517` (`setup.py develop`): a PEP 660 editable build compiles into a
        # temporary dir, so every verification recompiled all extensions (20 min); in-place, the cached ones are reused
        (("*",), {"packages": [*_SKLEARN_NEW, _SKLEARN_PANDAS["1.3"]], "env": _LEGACY}),
    ],
    "astropy/astropy": [
        (
            ("1.3", "3.0", "3.1"),
            {"python": "3.6", "packages": ["numpy<1.17", "cython<3", "pytest<3.7", "astropy-helpers", *_PY36_JINJA2]},
        ),
        (("*",), {"packages": _ASTROPY}),
    ],
    "matplotlib/matplotlib": [
        ((version,), {"python": python, "packages": packages, "pre_install": [MPLSETUP, _ft2font(version)], **env})
        for version, python, packages, env in (
            ("3.3", "3.8", _MATPLOTLIB_OLD, _MPL_OLD_ENV),
            ("3.4", "3.8", _MATPLOTLIB_OLD, _MPL_OLD_ENV),
            ("3.5", "3.10", _MATPLOTLIB, {"resolve": True}),  # 22711's setup.py asks pyparsing<3: resolved
            ("3.6", "3.11", _MATPLOTLIB, {}),
            ("3.7", "3.11", _MATPLOTLIB, {}),
        )
    ]
    + [(("*",), {"python": "3.11", "packages": _MATPLOTLIB, "pre_install": [MPLSETUP]})],
}
_DEFAULTS: dict[str, Any] = {"python": "3.9", "install": "python -m pip install -e .", "test_cmd": PYTEST}
_REPO_DEFAULTS: dict[str, dict[str, Any]] = {
    "django/django": {
        "test_cmd": _DJANGO_TEST,
        "env": {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf8"},
    },
    "sphinx-doc/sphinx": {"resolve": True, "env": {"PYTHONWARNINGS": "ignore::DeprecationWarning"}},
    # in-place (legacy) editable builds: the build cache's copied extensions are then found up to date
    "astropy/astropy": {"resolve": True, "env": _LEGACY},
    "matplotlib/matplotlib": {"env": _LEGACY},
    # version labels lag the commit's dependencies (toml, iniconfig): resolved from its metadata. pytest is the code
    # under test, so it cannot come from the environment: `env` keeps the runner bootstrap out (JUnit evidence only)
    "pytest-dev/pytest": {"resolve": True, "test_cmd": "env python -m pytest -rA"},
}


def repositories() -> list[str]:
    return sorted(_TABLE)


def spec(repo: str, version: str) -> dict[str, Any] | None:
    """The environment of `repo` at `version` (a copy), or None when the table has no row for it."""
    rows = _TABLE.get(repo.strip().lower())
    if rows is None:
        return None
    fields = next((fields for versions, fields in rows if version in versions or versions == ("*",)), None)
    if fields is None:
        return None
    merged = {**_DEFAULTS, **_REPO_DEFAULTS.get(repo, {}), **fields}
    pre_install = list(merged.get("pre_install", []))
    if merged.pop("resolve", False):
        pre_install.append(RESOLVE_DEPS)
    merged["pre_install"] = pre_install
    merged["packages"] = list(merged.get("packages", []))
    if "setuptools" not in {re.split(r"[<>=!~\[; ]", p, maxsplit=1)[0].lower() for p in merged["packages"]}:
        merged["packages"].append(MODERN_SETUPTOOLS)  # a venv's bundled setuptools cannot read PEP 621 metadata
    merged["env"] = dict(merged.get("env", {}))
    if repo in SCM_VERSIONED:  # work trees carry no tags: setuptools_scm would call the project 0.1.dev1
        merged["env"].setdefault("SETUPTOOLS_SCM_PRETEND_VERSION", f"{version}.0")
    return merged
