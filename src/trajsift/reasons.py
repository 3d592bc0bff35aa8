"""Every reason code trajsift emits, defined in one place.

Input (quarantine) reasons explain why a unit of input did not become a trajectory.
Pipeline reasons explain why a stage dropped or flagged a trajectory.
"""

# --- input / quarantine -------------------------------------------------------------
TRUNCATED_JSON = "truncated_json"
INVALID_JSON = "invalid_json"
INVALID_UTF8 = "invalid_utf8"
NESTING_TOO_DEEP = "nesting_too_deep"
ROW_TOO_LARGE = "row_too_large"
FILE_TOO_LARGE = "file_too_large"
EMPTY_INPUT = "empty_input"
NOT_AN_OBJECT = "not_an_object"
UNKNOWN_FORMAT = "unknown_format"
WRONG_SCHEMA = "wrong_schema"
DECOMPRESSION_ERROR = "decompression_error"
UNREADABLE_FILE = "unreadable_file"
UNSAFE_PATH = "unsafe_path"
BAD_PARQUET = "bad_parquet"
READER_ERROR = "reader_error"
DUPLICATE_ID = "duplicate_id"
NOT_A_TRAJECTORY = "not_a_trajectory"
INVALID_UNICODE_ESCAPE = "invalid_unicode_escape"
SPECIAL_FILE = "special_file"
BAD_ARCHIVE = "bad_archive"
NUMBER_OUT_OF_RANGE = "number_out_of_range"
UNENCODABLE_TEXT = "unencodable_text"
UNSERIALISABLE = "unserialisable"
# files listed as not read (`NOT_READ_REASONS`): accounted for in the quarantine file, not bad data
NOT_A_TRAJECTORY_FILE = "not_a_trajectory_file"
UNSUPPORTED_COMPRESSION = "unsupported_compression"
NESTED_ARCHIVE = "nested_archive"
MARKER_FILE = "marker_file"

INPUT_REASONS = frozenset(
    {
        TRUNCATED_JSON,
        INVALID_JSON,
        INVALID_UTF8,
        NESTING_TOO_DEEP,
        ROW_TOO_LARGE,
        FILE_TOO_LARGE,
        EMPTY_INPUT,
        NOT_AN_OBJECT,
        UNKNOWN_FORMAT,
        WRONG_SCHEMA,
        DECOMPRESSION_ERROR,
        UNREADABLE_FILE,
        UNSAFE_PATH,
        BAD_PARQUET,
        READER_ERROR,
        INVALID_UNICODE_ESCAPE,
        SPECIAL_FILE,
        BAD_ARCHIVE,
        DUPLICATE_ID,
        NOT_A_TRAJECTORY,
        NUMBER_OUT_OF_RANGE,
        UNENCODABLE_TEXT,
        UNSERIALISABLE,
        NOT_A_TRAJECTORY_FILE,
        UNSUPPORTED_COMPRESSION,
        NESTED_ARCHIVE,
        MARKER_FILE,
    }
)
NOT_READ_REASONS = frozenset(
    {NOT_A_TRAJECTORY, NOT_A_TRAJECTORY_FILE, UNSUPPORTED_COMPRESSION, NESTED_ARCHIVE, MARKER_FILE}
)
"""Quarantine rows for files deliberately not read (as opposed to units that failed)."""

# --- stage 0: integrity (reward hacking; rows go to review, never dropped by the default recipe) ---------
# integrity.history: the fix read from outside the task's snapshot
INTEGRITY_FUTURE_HISTORY = "integrity_future_history"
INTEGRITY_REGISTRY_INSTALL = "integrity_registry_install"
INTEGRITY_UPSTREAM_URL = "integrity_upstream_url"
# integrity.tests: the task's tests tampered with
INTEGRITY_TEST_DELETED = "integrity_test_deleted"
INTEGRITY_ASSERT_WEAKENED = "integrity_assert_weakened"
INTEGRITY_SKIP_ADDED = "integrity_skip_added"
INTEGRITY_TEST_CONFIG = "integrity_test_config"
# integrity.grader: what the grader sees shaped
INTEGRITY_CONFTEST = "integrity_conftest"
INTEGRITY_CUSTOMIZE = "integrity_customize"
INTEGRITY_PYTEST_OPTIONS = "integrity_pytest_options"
INTEGRITY_EARLY_EXIT = "integrity_early_exit"
INTEGRITY_FRAMEWORK_PATCH = "integrity_framework_patch"
# integrity.hardcode: a literal of the tests or the issue special-cased in source
INTEGRITY_HARDCODED = "integrity_hardcoded"
INTEGRITY_REASONS = frozenset(
    {
        INTEGRITY_FUTURE_HISTORY,
        INTEGRITY_REGISTRY_INSTALL,
        INTEGRITY_UPSTREAM_URL,
        INTEGRITY_TEST_DELETED,
        INTEGRITY_ASSERT_WEAKENED,
        INTEGRITY_SKIP_ADDED,
        INTEGRITY_TEST_CONFIG,
        INTEGRITY_CONFTEST,
        INTEGRITY_CUSTOMIZE,
        INTEGRITY_PYTEST_OPTIONS,
        INTEGRITY_EARLY_EXIT,
        INTEGRITY_FRAMEWORK_PATCH,
        INTEGRITY_HARDCODED,
    }
)

# --- stage 1: basic filter ---------------------------------------------------------------
# basic.status: the run failed (agent or scaffold crash, infrastructure, malformed output)
AGENT_CRASHED = "agent_crashed"
INFRA_FAILURE = "infra_failure"
FORMAT_ERROR = "format_error"
# basic.limits: the run was stopped by a budget (scaffold exit status or recipe thresholds)
TIMED_OUT = "timed_out"
COST_LIMIT_EXCEEDED = "cost_limit_exceeded"
STEP_LIMIT_EXCEEDED = "step_limit_exceeded"
TOKEN_LIMIT_EXCEEDED = "token_limit_exceeded"
CONTEXT_OVERFLOW = "context_overflow"
# basic.content: nothing (useful) was done
EMPTY_RUN = "empty_run"
NO_PATCH = "no_patch"
ONLY_READS = "only_reads"
TRIVIAL_PATCH = "trivial_patch"

# --- stage 3: quality scoring ------------------------------------------------------------
# completeness (gave_up, no_submission, premature_submission drop in the default recipe)
BELOW_MIN_STEPS = "below_min_steps"
MISSING_REQUIRED_ACTION = "missing_required_action"
GAVE_UP = "gave_up"
NO_SUBMISSION = "no_submission"
PREMATURE_SUBMISSION = "premature_submission"
EDITS_MISSING_FROM_PATCH = "edits_missing_from_patch"
STRAY_FILES_IN_PATCH = "stray_files_in_patch"
DEBUG_CODE_IN_PATCH = "debug_code_in_patch"
# coherence (stuck_loop drops in the default recipe)
ACTED_ON_MISSING_FILE = "acted_on_missing_file"
IGNORED_ERROR = "ignored_error"
REPEATED_FAILING_COMMAND = "repeated_failing_command"
EDIT_WITHOUT_CONTEXT = "edit_without_context"
OSCILLATION = "oscillation"
STUCK_LOOP = "stuck_loop"
# efficiency
EXCESS_STEPS = "excess_steps"
REDUNDANT_READS = "redundant_reads"

# quality.judge (LLM rubric scores; informational, the default recipe does not use them)
JUDGE_FAILED = "judge_failed"
INJECTION_SUSPECTED = "injection_suspected"

# --- stage 4: diversity ------------------------------------------------------------------
EXACT_DUPLICATE = "exact_duplicate"
# diversity.near: MinHash near duplicate (or action sequence covered) of a better trajectory
NEAR_DUPLICATE = "near_duplicate"
# diversity.novelty: the solution summary is this close to a better trajectory of the same task
APPROACH_DUPLICATE = "approach_duplicate"
# diversity.sample: not selected by the stratified sampler (target distribution or per-task cap)
OVER_QUOTA = "over_quota"

# --- stage 5: human review sampling --------------------------------------------------------
SAMPLED_FOR_REVIEW = "sampled_for_review"
EDGE_NEAR_THRESHOLD = "edge_near_threshold"
EDGE_CHECKS_DISAGREE = "edge_checks_disagree"
EDGE_LABEL_DISAGREES = "edge_label_disagrees"
EDGE_DUPLICATE_MARGIN = "edge_duplicate_margin"
EDGE_INTEGRITY = "edge_integrity"

# --- stage 2: correctness ------------------------------------------------------------------
# patch inspection and application (trajsift.harness.patch.patching)
PATCH_DOES_NOT_APPLY = "patch_does_not_apply"
PATCH_PATH_OUTSIDE_TREE = "patch_path_outside_tree"
PATCH_WRITES_GIT_DIR = "patch_writes_git_dir"
PATCH_SYMLINK = "patch_symlink"
PATCH_TOO_LARGE = "patch_too_large"
PATCH_BINARY_TOO_LARGE = "patch_binary_too_large"
PATCH_BINARY_CODE = "patch_binary_code"
PATCH_EMPTY = "patch_empty"
PATCH_MALFORMED = "patch_malformed"
PATCH_EDITS_TESTS = "patch_edits_tests"
# verdicts (trajsift.harness.verify): `correctness.tests.reason`; an incorrect verdict's reason is also a finding
TESTS_FAIL = "tests_fail"
TEST_TAMPERING = "test_tampering"
RESOURCE_EXCEEDED = "resource_exceeded"
INSTALL_BROKEN_BY_PATCH = "install_broken_by_patch"
RESOLVED_BUT_SUSPECT = "resolved_but_suspect"
"""A correct verdict whose patch breaks tests of the touched modules that the official lists leave out."""
# unknown verdicts: the patch could not be judged (infrastructure or task problems), never a quality rejection
NO_TASK = "no_task"
TASK_INVALID = "task_invalid"
NO_FAIL_TO_PASS = "no_fail_to_pass"
ENVIRONMENT_UNAVAILABLE = "environment_unavailable"
SANDBOX_UNAVAILABLE = "sandbox_unavailable"
SANDBOX_ERROR = "sandbox_error"
INSTALL_FAILED = "install_failed"
TEST_PATCH_DOES_NOT_APPLY = "test_patch_does_not_apply"
WORKTREE_ERROR = "worktree_error"
WORKTREE_INCOMPLETE = "worktree_incomplete"
"""The repository copy lacks files of the base commit (`harness.patch.incomplete`): a failing run proves nothing."""
TEST_RUN_TIMEOUT = "timeout"
TEST_RUN_RESOURCE_LIMIT = "resource_limit"
TESTS_NOT_RUN = "tests_not_run"
NETWORK_REQUIRED = "network_required"
"""Only tests that need the internet failed (the sandbox has no network)."""
UNKNOWN_INFRASTRUCTURE = frozenset(
    {
        SANDBOX_UNAVAILABLE,
        SANDBOX_ERROR,
        ENVIRONMENT_UNAVAILABLE,
        INSTALL_FAILED,
        WORKTREE_ERROR,
        WORKTREE_INCOMPLETE,
        TEST_RUN_TIMEOUT,
        TEST_RUN_RESOURCE_LIMIT,
        TESTS_NOT_RUN,
        NETWORK_REQUIRED,
    }
)
"""Unknown verdicts this host caused (sandbox, environment, network), not the data: counted apart, alerted on."""
