"""Step labels (`useful`, `unnecessary`, `mistake`, `recovery`) with the rule and evidence that decided each,
and reviewers' step labels that override them. Exports turn them into per-message `train` flags."""

from trajsift.steplabels.human import HumanLabels, apply_human, human_label, load_human_labels
from trajsift.steplabels.rules import LABELS, MISTAKE, RECOVERY, UNNECESSARY, USEFUL, StepLabel, label_steps

__all__ = [
    "LABELS",
    "MISTAKE",
    "RECOVERY",
    "UNNECESSARY",
    "USEFUL",
    "HumanLabels",
    "StepLabel",
    "apply_human",
    "human_label",
    "label_steps",
    "load_human_labels",
]
