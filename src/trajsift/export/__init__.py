"""Exporters: a `Trajectory` rendered in a format other tools consume (OpenAI chat for SFT trainers), and the
training exports of `trajsift export` (`training`, `rows`, `writers`, `chat_template`)."""

from trajsift.export.openai import to_openai, to_openai_stable

__all__ = ["to_openai", "to_openai_stable"]
