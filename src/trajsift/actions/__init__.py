"""Action classification: a raw bash command or tool call becomes an `Action` with an `ActionType`.

`classify` holds the entry points (`classify_command`, `classify_tool_call`) and the tool-call rules; `shell`
splits a shell command into segments and picks the strongest verdict; `programs` says what each program does,
over the word tables in `tables`.
"""
