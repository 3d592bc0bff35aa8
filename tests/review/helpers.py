"""Shared builders for the review tests: a hostile run dir, logged-in clients, a real server, PostgreSQL."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from trajsift.config import load_recipe
from trajsift.run import run_pipeline
from trajsift.schema import Action, ActionType, FinalState, Observation, Source, Step, TaskRef, Trajectory

PASSWORD = "correct horse battery"
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "javascript:alert(4)",
    "</textarea><script>alert(5)</script>",
    "</pre><iframe src=javascript:alert(6)>",
    "<a href=javascript:alert(7)>x</a>",
    "<body onload=alert(8)>",
    '<div style="background:url(javascript:alert(9))">',
    "<math><mtext></p><script>alert(10)</script>",
    "{{7*7}}<b>ssti</b>",
    "<scr<script>ipt>alert(12)</script>",
    "<input autofocus onfocus=alert(13)>",
    "<details open ontoggle=alert(14)>",
    "<object data=javascript:alert(15)>",
    "<embed src=javascript:alert(16)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(17)">',
    "<base href=javascript:alert(18)//>",
    "<form action=javascript:alert(19)><button>x</button></form>",
    "<style>@import 'javascript:alert(20)'</style>",
    "<link rel=stylesheet href=javascript:alert(21)>",
    "<video><source onerror=alert(22)></video>",
    "</script><script>alert(23)</script>",
    "<!--<img src=x onerror=alert(24)>-->",
    "\u003cimg src=x onerror=alert(25)\u003e",
    "<x onclick=alert(26)>click</x>",
    "%3Cscript%3Ealert(27)%3C/script%3E<script>alert(27)</script>",
    '<noscript><p title="</noscript><img src=x onerror=alert(28)>">',
    "<svg><animate onbegin=alert(29) attributeName=x dur=1s>",
    "<iframe srcdoc='<script>alert(30)</script>'>",
    '" autofocus onfocus="alert(31)',
    "' onmouseover='alert(32)",
    "`-alert(33)-`",
    "${alert(34)}",
    "<img src=1 onerror=\u0061lert(35)>",
    "<a href='jav&#x09;ascript:alert(36)'>y</a>",
    "<svg><script>alert&#40;37&#41;</script>",
    "<marquee onstart=alert(38)>",
    "<audio src=x onerror=alert(39)>",
    "<table background=javascript:alert(40)>",
    "<isindex action=javascript:alert(41) type=image>",
    "<keygen autofocus onfocus=alert(42)>",
    "<select autofocus onfocus=alert(43)>",
    "<textarea autofocus onfocus=alert(44)>",
    "<frameset onload=alert(45)>",
    "<img src=x:x onerror=alert(46)//",
    "<svg/onload=alert(47)>",
    '<math href="javascript:alert(48)">x</math>',
    "\x3cscript\x3ealert(49)\x3c/script\x3e",
    "</title><script>alert(50)</script>",
]
LONG_STEPS = 150


def hostile_trajectory(i: int, steps: int = 4, big_observation: int = 0) -> Trajectory:
    p = XSS[i % len(XSS)]
    q = XSS[(i + 7) % len(XSS)]
    step_list = [
        Step(
            index=k,
            thought=f"thinking {k} {p}",
            action=Action(
                type=ActionType.EDIT if k % 3 == 1 else ActionType.RUN_COMMAND,
                tool=f"bash{q}",
                command=f"cat 'f{k}{p}.py'",
                target=f"src/{q}.py",
                arguments={"path": p},
            ),
            observation=Observation(text=(f"output {k} {q}\n" * 3) + ("x" * big_observation if k == 0 else "")),
        )
        for k in range(steps)
    ]
    patch = f"diff --git a/{p}.py b/{p}.py\n--- a/{p}.py\n+++ b/{p}.py\n@@ -1,2 +1,2 @@ {q}\n-old {p}\n+new {q}\n ctx\n"
    return Trajectory(
        id=f"t{i:03d}-{p}",
        source=Source(format="native", scaffold=f"scaffold{q}", model=["good", f"model{p}"][i % 2], run="r1"),
        task=TaskRef(task_id=f"task{i % 5}{q}", category=f"cat{p}", difficulty=["easy", "hard"][i % 2], instruction=p),
        steps=step_list,
        final=FinalState(patch=patch, submitted=True, exit_status=f"submitted{q}"),
        metadata={"note": p},
    )


def recipe_text(fraction: float = 0.5) -> str:
    return f"""
shard_size: 16
stages:
  - name: review
    checks: [{{id: review.sample, params: {{fraction: {fraction}, strata: [category]}}}}]
    review: {{no_findings: {{}}}}
"""


def build_run(root: Path, trajectories: list[Trajectory], fraction: float = 0.5) -> Path:
    data = root / "in.jsonl"
    data.write_bytes(b"\n".join(t.to_json() for t in trajectories) + b"\n")
    recipe = root / "recipe.yaml"
    recipe.write_text(recipe_text(fraction))
    out = root / "run"
    run_pipeline([str(data)], out, load_recipe(str(recipe)))
    return out


def login_token(page_text: str) -> str:
    return re.search(r'action="/login">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page_text).group(1)


def login(client, name: str, password: str = PASSWORD) -> str:
    """Log `client` (TestClient or httpx.Client) in; returns the session's CSRF token."""
    page = client.get("/login")
    token = login_token(page.text)
    response = client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token, "next": "/queue"}
    )
    assert response.status_code in (200, 303), response.text
    queue = client.get("/queue")
    assert queue.status_code == 200
    return re.search(r'name="csrf-token" content="([^"]+)"', queue.text).group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(run_dir: Path, db_url: str | None = None, timeout: float = 30.0):
    """A real `trajsift serve` process on 127.0.0.1; yields (base_url, process)."""
    port = free_port()
    cmd = [sys.executable, "-m", "trajsift", "serve", str(run_dir), "--port", str(port)]
    if db_url:
        cmd += ["--db", db_url]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/login", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
        process.stderr.close()


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@contextlib.contextmanager
def postgres_server():
    """A throwaway PostgreSQL cluster on a unix socket in /tmp; yields a function making fresh database URLs."""
    bin_dir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="trajsift-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()
    run = lambda *args: subprocess.run([*as_postgres, *args], check=True, capture_output=True)  # noqa: E731
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-k {root} -p {port} -c listen_addresses='' -c fsync=on"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start")
        counter = iter(range(10_000))

        def new_database() -> str:
            import psycopg

            name = f"review{next(counter)}"
            with psycopg.connect(f"host={root} port={port} user=postgres dbname=postgres", autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            return f"postgresql+psycopg://postgres@/{name}?host={root}&port={port}"

        yield new_database
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def dump(value) -> bytes:
    return orjson.dumps(value)
