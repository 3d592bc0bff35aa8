"""End to end: the demo run exported with step labels, loaded with `datasets`, trained with TRL's SFTTrainer on a
tiny randomly initialised Llama and a tokenizer trained here (nothing downloaded), assistant-only loss.

Asserts the loss is finite and that the tokens trained on are exactly the assistant turns whose step labels
say `train` (a masked mistake in the demo's reverted-edit run included)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trajsift.cli.main import app
from trajsift.export.chat_template import END_OF_TURN, START_OF_TURN, TRAINING_CHAT_TEMPLATE

datasets = pytest.importorskip("datasets")
trl = pytest.importorskip("trl")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

MAX_LENGTH = 8192


@pytest.fixture(scope="module", autouse=True)
def offline():
    saved = {key: os.environ.get(key) for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "WANDB_DISABLED")}
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", WANDB_DISABLED="true")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trl")
    runner = CliRunner()
    result = runner.invoke(app, ["run", "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    out = root / "hf"
    result = runner.invoke(app, ["export", str(root / "run"), str(out), "--to", "hf", "--rows", "failed-masked"])
    assert result.exit_code == 0, result.output
    return out


def _tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    specials = [START_OF_TURN, END_OF_TURN, "<pad>"]
    trainer = trainers.BpeTrainer(
        vocab_size=1500, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(texts, trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=END_OF_TURN, pad_token="<pad>", bos_token=START_OF_TURN
    )
    fast.chat_template = TRAINING_CHAT_TEMPLATE
    return fast


def _model(tokenizer):
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=MAX_LENGTH,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    transformers.set_seed(0)
    return transformers.LlamaForCausalLM(config)


def _texts(dataset) -> list[str]:
    return [m["content"] for row in dataset for m in row["messages"]] + [row["tools"] for row in dataset]


def _expected_trained_text(messages: list[dict]) -> str:
    """What the labels say is trained on: each assistant turn with train=true, end-of-turn token included."""
    parts = []
    for message in messages:
        if message["role"] == "assistant" and message["train"]:
            calls = "".join(
                f'<tool_call>{{"name": "{call["function"]["name"]}", "arguments": {call["function"]["arguments"]}}}'
                "</tool_call>"
                for call in message["tool_calls"] or []
            )
            parts.append((message["content"] or "") + calls + END_OF_TURN)
    return "".join(parts)


def test_export_loads_and_trains_with_masks(exported: Path, tmp_path: Path):
    dataset = datasets.load_from_disk(str(exported))
    assert dataset.num_rows > 10 and set(dataset["subset"]) == {"kept", "failed"}
    masked_turns = [m for row in dataset for m in row["messages"] if m["role"] == "assistant" and not m["train"]]
    assert masked_turns and {m["label"] for m in masked_turns} == {"mistake"}

    tokenizer = _tokenizer(_texts(dataset))
    config = trl.SFTConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=3,
        per_device_train_batch_size=2,
        learning_rate=1e-3,
        assistant_only_loss=True,
        max_length=MAX_LENGTH,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=0,
    )
    trainer = trl.SFTTrainer(model=_model(tokenizer), args=config, train_dataset=dataset, processing_class=tokenizer)
    processed = trainer.train_dataset
    for source, row in zip(dataset, processed, strict=True):
        assert len(row["input_ids"]) < MAX_LENGTH, "an example was truncated: raise MAX_LENGTH"
        trained = [token for token, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
        assert tokenizer.decode(trained) == _expected_trained_text(source["messages"]), source["id"]

    batch = trainer.data_collator([processed[0], processed[1]])
    for labels, row in zip(batch["labels"].tolist(), [processed[0], processed[1]], strict=True):
        assert labels[: len(row["labels"])] == row["labels"]

    result = trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert losses and all(math.isfinite(loss) for loss in losses)
    assert math.isfinite(result.training_loss)
