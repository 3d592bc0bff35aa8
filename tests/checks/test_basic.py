import pytest

from trajsift import reasons
from trajsift.checks import _exit_status as ends
from trajsift.checks import load_check_class
from trajsift.checks.base import CheckContext
from trajsift.checks.basic import ContentCheck, LimitsCheck, StatusCheck
from trajsift.schema import Action, ActionType, FinalState, Observation, Source, Step, Trajectory, Usage

_T = ActionType
PATCH = """diff --git a/pkg/core.py b/pkg/core.py
index 1111111..2222222 100644
--- a/pkg/core.py
+++ b/pkg/core.py
@@ -1,2 +1,2 @@
 def total(items):
-    return sum(items)
+    return sum(items or [])
"""
SCRIPT_ONLY = """diff --git a/reproduce_bug.py b/reproduce_bug.py
new file mode 100644
--- /dev/null
+++ b/reproduce_bug.py
@@ -0,0 +1 @@
+print('bug')
"""
REPO_TRACEBACK = """Traceback (most recent call last):
  File "/repo/reproduce.py", line 3, in <module>
    total(None)
  File "/repo/pkg/core.py", line 2, in total
    return sum(items)
TypeError: 'NoneType' object is not iterable
"""
SCAFFOLD_TRACEBACK = """Traceback (most recent call last):
  File "/opt/venv/lib/python3.11/site-packages/sweagent/agent/agents.py", line 812, in step
    observation = self._env.communicate(action)
  File "/opt/venv/lib/python3.11/site-packages/sweagent/environment/swe_env.py", line 401, in communicate
    raise KeyError(key)
KeyError: 'cwd'
"""
LLM_TRACEBACK = """Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/litellm/main.py", line 1200, in completion
    raise exc
litellm.exceptions.RateLimitError: rate limit reached for requests
"""


def step(kind: ActionType, command: str, output: str = "", tool: str = "bash") -> Step:
    return Step(action=Action(type=kind, tool=tool, command=command), observation=Observation(text=output))


def good_steps() -> list[Step]:
    return [
        step(_T.SEARCH, "grep -rn 'def total' pkg", "pkg/core.py:1:def total(items):"),
        step(_T.READ, "cat pkg/core.py", "def total(items):\n    return sum(items)"),
        step(_T.RUN_COMMAND, "python reproduce.py", REPO_TRACEBACK),  # the repo's traceback: normal work
        step(_T.EDIT, "sed -i 's/sum(items)/sum(items or [])/' pkg/core.py"),
        step(_T.RUN_TESTS, "pytest tests/test_core.py", "3 passed in 0.1s"),
        step(_T.SUBMIT, "submit", PATCH, tool="submit"),
    ]


def make(
    steps: list[Step] | None = None,
    patch: str = PATCH,
    status: str = "submitted",
    submitted: bool = True,
    fmt: str = "swe-agent",
    metadata: dict | None = None,
    usage: Usage | None = None,
) -> Trajectory:
    return Trajectory(
        id="t1",
        source=Source(format=fmt, scaffold=fmt),
        steps=good_steps() if steps is None else steps,
        final=FinalState(patch=patch, submitted=submitted, exit_status=status),
        usage=usage or Usage(input_tokens=9000, output_tokens=1000, cost=0.4, api_calls=6, duration_s=120.0),
        metadata=metadata or {},
    )


def run(check_cls, traj: Trajectory, **params):
    return check_cls(params).check_one(traj, CheckContext(), {})


def all_findings(traj: Trajectory) -> list[str]:
    return [code for cls in (StatusCheck, ContentCheck, LimitsCheck) for code in run(cls, traj).findings]


def test_registered_under_their_ids():
    for check_id, cls in {
        "basic.status": StatusCheck,
        "basic.content": ContentCheck,
        "basic.limits": LimitsCheck,
    }.items():
        assert load_check_class(check_id) is cls and cls.id == check_id


@pytest.mark.parametrize("fmt", ["swe-agent", "mini-swe-agent", "openhands-completions"])
def test_good_run_has_no_finding(fmt):
    status = {"swe-agent": "submitted", "mini-swe-agent": "Submitted", "openhands-completions": ""}[fmt]
    assert all_findings(make(status=status, fmt=fmt)) == []


def test_good_run_columns():
    traj = make()
    status = run(StatusCheck, traj).scores
    assert status == {
        "basic.status.exit_status": "submitted",
        "basic.status.raw_exit_status": "submitted",
        "basic.status.autosubmitted": False,
        "basic.status.format_errors": 0,
        "basic.status.scaffold_traceback": "",
    }
    content = run(ContentCheck, traj).scores
    assert content["basic.content.num_steps"] == 6 and content["basic.content.num_edits"] == 1
    assert content["basic.content.num_reads"] == 2 and content["basic.content.num_test_runs"] == 1
    assert (content["basic.content.patch_files"], content["basic.content.patch_code_files"]) == (1, 1)
    assert (content["basic.content.patch_lines_added"], content["basic.content.patch_lines_removed"]) == (1, 1)
    limits = run(LimitsCheck, traj).scores
    assert limits["basic.limits.total_tokens"] == 10000 and limits["basic.limits.cost"] == 0.4
    assert limits["basic.limits.limit_hit"] == ""
    assert set(status) | set(content) | set(limits) == {
        *StatusCheck.column_types(),
        *ContentCheck.column_types(),
        *LimitsCheck.column_types(),
    }


@pytest.mark.parametrize(
    ("raw", "metadata", "expected", "auto"),
    [
        ("submitted", {}, ends.SUBMITTED, False),
        ("Submitted", {}, ends.SUBMITTED, False),
        ("APPLICABLE_PATCH", {}, ends.SUBMITTED, False),
        ("exit_error", {}, ends.ERROR, False),
        ("early_exit", {}, ends.ERROR, False),
        ("Exception", {}, ends.ERROR, False),
        ("KeyError", {}, ends.ERROR, False),
        ("exit_format", {}, ends.FORMAT_ERROR, False),
        ("FormatError", {}, ends.FORMAT_ERROR, False),
        ("RAW_PATCH_BUT_UNPARSED", {}, ends.FORMAT_ERROR, False),
        ("exit_cost", {}, ends.COST_LIMIT, False),
        ("submitted (exit_cost)", {}, ends.COST_LIMIT, True),
        ("submitted (exit_context)", {}, ends.CONTEXT_OVERFLOW, True),
        ("exit_context", {}, ends.CONTEXT_OVERFLOW, False),
        ("ContextWindowExceededError", {}, ends.CONTEXT_OVERFLOW, False),
        ("LimitsExceeded", {}, ends.STEP_LIMIT, False),
        ("exit_total_execution_time", {}, ends.TIMEOUT, False),
        ("exit_forfeit", {}, ends.GAVE_UP, False),
        ("exit_api", {}, ends.INFRA, False),
        ("exit_environment_error", {}, ends.INFRA, False),
        ("RateLimitError", {}, ends.INFRA, False),
        ("APIConnectionError", {}, ends.INFRA, False),
        ("", {}, ends.UNKNOWN, False),
        ("skipped", {}, ends.UNKNOWN, False),
        ("error", {"error": "AgentStuckInLoopError: Agent got stuck in a loop"}, ends.ERROR, False),
        ("error", {"error": "AgentRuntimeDisconnectedError: runtime went away"}, ends.INFRA, False),
        ("error", {"error": "docker.errors.APIError: 500 Server Error"}, ends.INFRA, False),
        (
            "error",
            {"error": "RuntimeError: Agent reached maximum iteration. max iteration: 100"},
            ends.STEP_LIMIT,
            False,
        ),
        ("error", {"error": "RuntimeError: Agent reached maximum budget for conversation"}, ends.COST_LIMIT, False),
        ("finished", {"error": "litellm.ServiceUnavailableError: 503"}, ends.INFRA, False),
    ],
)
def test_exit_status_normalisation(raw, metadata, expected, auto):
    end = ends.run_end(make(status=raw, metadata=metadata, submitted=False))
    assert (end.status, end.autosubmitted, end.raw) == (expected, auto, raw)


def test_traceback_frames_decide_nothing_only_the_exception_line():
    error = SCAFFOLD_TRACEBACK.replace("sweagent/environment", "openhands/runtime/impl/docker")
    assert ends.classify_error(error) == ends.ERROR  # a KeyError raised in docker code is still a crash


@pytest.mark.parametrize(
    ("status", "metadata", "code"),
    [
        ("exit_error", {}, reasons.AGENT_CRASHED),
        ("early_exit", {}, reasons.AGENT_CRASHED),
        ("error", {"error": "AgentStuckInLoopError: Agent got stuck in a loop"}, reasons.AGENT_CRASHED),
        ("exit_api", {}, reasons.INFRA_FAILURE),
        ("error", {"error": "Connection refused while contacting the sandbox"}, reasons.INFRA_FAILURE),
        ("exit_format", {}, reasons.FORMAT_ERROR),
    ],
)
def test_status_findings(status, metadata, code):
    out = run(StatusCheck, make(status=status, metadata=metadata, patch=""))
    assert out.findings == [code]
    with_patch = run(StatusCheck, make(status=status, metadata=metadata))
    assert with_patch.findings == []  # graded by the harness: the columns carry the ending
    assert with_patch.scores["basic.status.exit_status"] == out.scores["basic.status.exit_status"]


def test_scaffold_traceback_in_final_steps_is_a_crash():
    steps = [*good_steps()[:4], step(_T.RUN_TESTS, "pytest", SCAFFOLD_TRACEBACK)]
    out = run(StatusCheck, make(steps=steps, status="", submitted=False, patch=""))
    assert out.findings == [reasons.AGENT_CRASHED]
    assert out.scores["basic.status.scaffold_traceback"] == "KeyError: 'cwd'"
    assert out.scores["basic.status.exit_status"] == ends.ERROR


def test_llm_client_traceback_is_infra():
    steps = [*good_steps()[:4], step(_T.RUN_TESTS, "pytest", LLM_TRACEBACK)]
    assert run(StatusCheck, make(steps=steps, status="", submitted=False, patch="")).findings == [reasons.INFRA_FAILURE]


def test_repo_tracebacks_and_infra_words_in_observations_are_normal_work():
    noisy = [
        step(_T.RUN_TESTS, "pytest", REPO_TRACEBACK + "\nConnectionRefusedError: [Errno 111] Connection refused"),
        step(_T.RUN_COMMAND, "python reproduce.py", REPO_TRACEBACK + "docker container rate limit 503"),
    ]
    assert all_findings(make(steps=good_steps() + noisy)) == []


def test_many_malformed_turns_are_a_format_error():
    bad = Step(action=Action(type=_T.OTHER, tool="format_error"), observation=Observation(text="", is_error=True))
    feedback = step(_T.OTHER, "", "Your output was not formatted correctly. Please retry.", tool="")
    steps = [*good_steps()[:3], bad, bad, feedback]
    out = run(StatusCheck, make(steps=steps, fmt="mini-swe-agent", status="Submitted", patch=""))
    assert out.findings == [reasons.FORMAT_ERROR] and out.scores["basic.status.format_errors"] == 3


def test_a_few_malformed_turns_are_tolerated():
    bad = Step(action=Action(type=_T.OTHER, tool="format_error"), observation=Observation(is_error=True))
    steps = good_steps() * 2 + [bad, bad, bad]  # 3 of 15 steps: under the 25 % share
    assert run(StatusCheck, make(steps=steps, patch="")).findings == []
    strict = run(StatusCheck, make(steps=steps, patch=""), max_format_error_share=0.1)
    assert strict.findings == [reasons.FORMAT_ERROR]
    assert run(StatusCheck, make(steps=steps), max_format_error_share=0.1).findings == []


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("exit_cost", reasons.COST_LIMIT_EXCEEDED),
        ("submitted (exit_cost)", reasons.COST_LIMIT_EXCEEDED),
        ("exit_context", reasons.CONTEXT_OVERFLOW),
        ("LimitsExceeded", reasons.STEP_LIMIT_EXCEEDED),
        ("exit_command_timeout", reasons.TIMED_OUT),
    ],
)
def test_limit_exits_without_a_patch_are_dropped_with_a_patch_are_signals(status, code):
    without = run(LimitsCheck, make(status=status, patch=""))
    assert without.findings == [code]
    assert without.scores["basic.limits.limit_hit"] != ""
    with_patch = run(LimitsCheck, make(status=status))
    assert with_patch.findings == []
    assert with_patch.scores["basic.limits.limit_hit"] == without.scores["basic.limits.limit_hit"]
    assert run(LimitsCheck, make(status=status), drop_scaffold_limits=True).findings == [code]


def test_limit_exit_of_a_log_that_cannot_show_the_patch_is_not_dropped():
    traj = make(status="max_iterations_reached", patch="", fmt="openhands-completions", submitted=False)
    out = run(LimitsCheck, traj)
    assert out.findings == [] and out.scores["basic.limits.limit_hit"] == "step_limit"
    assert run(ContentCheck, traj).findings == []
    assert run(ContentCheck, traj).scores["basic.content.patch_status"] == "unknown"


def test_autosubmitted_limit_exit_is_recorded():
    traj = make(status="submitted (exit_cost)")
    assert run(LimitsCheck, traj).findings == []
    assert run(StatusCheck, traj).scores["basic.status.autosubmitted"] is True


def test_recipe_thresholds():
    traj = make()  # 6 steps, cost 0.4, 10k tokens, 120 s
    assert run(LimitsCheck, traj, max_steps=6, max_cost=0.4, max_tokens=10000, max_duration_s=120).findings == []
    assert run(LimitsCheck, traj, max_steps=5).findings == [reasons.STEP_LIMIT_EXCEEDED]
    assert run(LimitsCheck, traj, max_cost=0.3).findings == [reasons.COST_LIMIT_EXCEEDED]
    assert run(LimitsCheck, traj, max_tokens=9999).findings == [reasons.TOKEN_LIMIT_EXCEEDED]
    assert run(LimitsCheck, traj, max_duration_s=60).findings == [reasons.TIMED_OUT]


def test_thresholds_ignore_unknown_usage():
    traj = make(usage=Usage())
    assert run(LimitsCheck, traj, max_cost=0.1, max_tokens=10, max_duration_s=1).findings == []
    assert run(LimitsCheck, traj).scores["basic.limits.total_tokens"] is None


def test_limit_exit_and_threshold_report_once():
    out = run(LimitsCheck, make(status="exit_cost", patch=""), max_cost=0.1)
    assert out.findings == [reasons.COST_LIMIT_EXCEEDED]


def test_empty_run():
    assert set(all_findings(make(steps=[], patch="", submitted=False, status=""))) >= {
        reasons.EMPTY_RUN,
        reasons.NO_PATCH,
    }
    thinking_only = [step(_T.THINK, "", tool=""), Step(action=Action(tool="format_error"))]
    assert reasons.EMPTY_RUN in run(ContentCheck, make(steps=thinking_only, patch="")).findings
    # a patch written in one answer, no tool used (Agentless-style generation): not an empty run
    assert reasons.EMPTY_RUN not in run(ContentCheck, make(steps=thinking_only)).findings


def test_no_patch_where_the_format_records_patches():
    out = run(ContentCheck, make(patch="", submitted=False, status=""))
    assert out.findings == [reasons.NO_PATCH]
    assert out.scores["basic.content.patch_status"] == "absent"


def test_no_patch_on_an_empty_submission_where_the_format_records_patches():
    assert run(ContentCheck, make(patch="")).findings == [reasons.NO_PATCH]
    error_as_submission = make(patch="litellm.RateLimitError: slow down", fmt="mini-swe-agent")
    assert run(ContentCheck, error_as_submission).findings == [reasons.NO_PATCH]


def test_logs_without_patches_are_patch_unknown_never_no_patch():
    for submitted in (True, False):
        traj = make(patch="", fmt="openhands-completions", status="", submitted=submitted)
        out = run(ContentCheck, traj)
        assert out.findings == [] and out.scores["basic.content.patch_status"] == "unknown"


def test_patch_source_decides_over_the_format():
    unknown = make(patch="")
    unknown.final.patch_source = "unknown"
    assert run(ContentCheck, unknown).findings == []
    recorded_empty = make(patch="", fmt="openai")
    recorded_empty.final.patch_source = "none"
    assert run(ContentCheck, recorded_empty).findings == [reasons.NO_PATCH]
    present = make()
    assert run(ContentCheck, present).scores["basic.content.patch_status"] == "present"


def test_only_reads():
    steps = [step(_T.SEARCH, "grep -rn x ."), step(_T.READ, "cat a.py"), step(_T.SUBMIT, "submit", tool="submit")]
    out = run(ContentCheck, make(steps=steps, patch="", fmt="openhands-completions", status=""))
    assert out.findings == [reasons.ONLY_READS]
    assert out.scores["basic.content.num_edits"] == 0


def test_reads_with_a_real_patch_are_not_only_reads():
    steps = [step(_T.SEARCH, "grep -rn x ."), step(_T.SUBMIT, "submit", tool="submit")]
    assert run(ContentCheck, make(steps=steps)).findings == []


@pytest.mark.parametrize(
    "patch",
    [
        SCRIPT_ONLY,
        "diff --git a/pkg/core.py b/pkg/core.py\n--- a/pkg/core.py\n+++ b/pkg/core.py\n"
        "@@ -1,2 +1,3 @@\n def total(items):\n+    # TODO: handle None\n     return sum(items)\n",
        "diff --git a/pkg/core.py b/pkg/core.py\n--- a/pkg/core.py\n+++ b/pkg/core.py\n"
        "@@ -1,2 +1,2 @@\n-def total(items):   \n+def total(items):\n     return sum(items)\n",
        "diff --git a/mydatabase b/mydatabase\nnew file mode 100644\nBinary files /dev/null and b/mydatabase differ\n",
    ],
    ids=["scratch-script", "comment-only", "whitespace-only", "binary-db"],
)
def test_trivial_patch(patch):
    out = run(ContentCheck, make(patch=patch))
    assert out.findings == [reasons.TRIVIAL_PATCH]
    assert out.scores["basic.content.patch_code_files"] == 0


def test_real_fix_next_to_a_scratch_script_is_not_trivial():
    out = run(ContentCheck, make(patch=PATCH + SCRIPT_ONLY))
    assert out.findings == []
    assert out.scores["basic.content.patch_scratch_files"] == 1
    assert out.scores["basic.content.patch_files"] == 2


def test_params_reject_unknown_keys():
    with pytest.raises(ValueError):
        LimitsCheck({"max_stepz": 3})
