"""Readers, one module per native format, mapped by name in one explicit dict.

Sniffing tries record readers in `READERS` order (most specific first); `--format NAME` forces one.
"""

from __future__ import annotations

from trajsift.readers.atif import AtifReader
from trajsift.readers.autocoderover import AutoCodeRoverReader
from trajsift.readers.base import FolderReader, Origin, Reader
from trajsift.readers.chat import AnthropicChatReader, OpenAIChatReader, ShareGPTReader
from trajsift.readers.chat_rows import ChatRowsReader
from trajsift.readers.claude_code import ClaudeCodeReader
from trajsift.readers.codex import CodexReader
from trajsift.readers.codex_exec import CodexExecReader
from trajsift.readers.gemini_cli import GeminiCliReader
from trajsift.readers.mini_swe_agent import MiniSweAgentReader
from trajsift.readers.native import NativeReader
from trajsift.readers.openhands import OpenHandsCompletionReader
from trajsift.readers.openhands_events import OpenHandsEventsReader
from trajsift.readers.openhands_folder import OpenHandsFolderReader
from trajsift.readers.openhands_sdk import OpenHandsSdkReader
from trajsift.readers.swe_agent import SweAgentReader

READERS: dict[str, type[Reader]] = {
    NativeReader.name: NativeReader,
    SweAgentReader.name: SweAgentReader,
    AtifReader.name: AtifReader,
    ClaudeCodeReader.name: ClaudeCodeReader,
    CodexReader.name: CodexReader,
    CodexExecReader.name: CodexExecReader,
    GeminiCliReader.name: GeminiCliReader,
    # scaffold-specific readers (swe-agent, mini-swe-agent, openhands-*) go here,
    MiniSweAgentReader.name: MiniSweAgentReader,
    OpenHandsCompletionReader.name: OpenHandsCompletionReader,
    OpenHandsSdkReader.name: OpenHandsSdkReader,
    OpenHandsEventsReader.name: OpenHandsEventsReader,
    ChatRowsReader.name: ChatRowsReader,
    # generic chat readers (openai, anthropic, sharegpt) last: they sniff loosely.
    OpenAIChatReader.name: OpenAIChatReader,
    AnthropicChatReader.name: AnthropicChatReader,
    ShareGPTReader.name: ShareGPTReader,
}

FOLDER_READERS: dict[str, type[FolderReader]] = {
    AutoCodeRoverReader.name: AutoCodeRoverReader,
    OpenHandsFolderReader.name: OpenHandsFolderReader,
}

__all__ = ["FOLDER_READERS", "READERS", "FolderReader", "Origin", "Reader"]
