import pytest

from trajsift.config import load_recipe
from trajsift.errors import ConfigError
from trajsift.pipeline import build_pipeline


def write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return str(path)


def test_default_recipe_has_the_five_stages():
    recipe = load_recipe()
    names = [s.name for s in recipe.stages]
    assert names == [
        "integrity",
        "basic_filter",
        "correctness",
        "signals",
        "quality",
        "diversity",
        "sampling",
        "review",
    ]


def test_unknown_keys_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="shard_sise"):
        load_recipe(write(tmp_path, "shard_sise: 3\n"))
    with pytest.raises(ConfigError, match="stages.0.kep"):
        load_recipe(write(tmp_path, "stages:\n  - name: a\n    kep: {}\n"))


def test_bad_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_recipe(write(tmp_path, "stages: [\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_recipe(str(tmp_path / "nope.yaml"))


def test_overrides_by_path_name_and_index():
    recipe = load_recipe(None, ["shard_size=7", "stages.review.checks.review.sample.params.fraction=0.1"])
    assert recipe.shard_size == 7
    review = next(s for s in recipe.stages if s.name == "review")
    assert review.checks[0].params["fraction"] == 0.1
    recipe = load_recipe(None, ["stages.4.keep.top_fraction.fraction=0.5"])  # stage 4 is `quality`
    quality = next(s for s in recipe.stages if s.name == "quality")
    assert recipe.stages[4] is quality and quality.keep["top_fraction"]["fraction"] == 0.5


@pytest.mark.parametrize("override", ["shard_size", "=3", "stages.nosuch.enabled=false", "shard_size=abc"])
def test_bad_overrides(override):
    with pytest.raises(ConfigError):
        load_recipe(None, [override])


def test_fingerprint_changes_with_content():
    assert load_recipe().fingerprint() == load_recipe().fingerprint()
    assert load_recipe().fingerprint() != load_recipe(None, ["shard_size=3"]).fingerprint()


def test_unknown_check_and_bad_params_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown check"):
        build_pipeline(load_recipe(write(tmp_path, "stages:\n  - name: a\n    checks: [{id: nope.check}]\n")))
    bad = "stages:\n  - name: a\n    checks: [{id: review.sample, params: {fraction: 2}}]\n"
    with pytest.raises(ConfigError, match="fraction"):
        build_pipeline(load_recipe(write(tmp_path, bad)))
    typo = "stages:\n  - name: a\n    checks: [{id: review.sample, params: {fractoin: 0.1}}]\n"
    with pytest.raises(ConfigError, match="fractoin"):
        build_pipeline(load_recipe(write(tmp_path, typo)))


def test_stage_needing_tasks_is_skipped_loudly_without_tasks():
    pipeline = build_pipeline(load_recipe())
    correctness = next(s for s in pipeline.stages if s.name == "correctness")
    assert correctness.skipped  # no task file given (or harness not installed): never a silent pass
