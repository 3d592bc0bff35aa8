"""A ChatML-style Jinja chat template for exported records that honours the per-message `train` flag.

Assistant turns with `train` true (or no `train` key) sit inside `{% generation %}` markers, end-of-turn
token included, so `apply_chat_template(..., return_assistant_tokens_mask=True)` and TRL's
`SFTConfig(assistant_only_loss=True)` train on exactly those turns; masked turns (mistakes) and every other
role stay in the context without loss. Tool calls render as `<tool_call>{"name", "arguments"}</tool_call>`
(arguments as exported: a JSON string); the `tools` list, when given, is a first `tools` turn.
Copy it into your model's tokenizer, or graft its `train` condition onto your own template.
"""

END_OF_TURN = "<|im_end|>"
START_OF_TURN = "<|im_start|>"

TRAINING_CHAT_TEMPLATE = (
    "{%- macro render(message) -%}"
    "{{- message.content if message.content else '' -}}"
    "{%- for call in (message.tool_calls or []) -%}"
    '<tool_call>{"name": {{ call.function.name | tojson }}, "arguments": {{ call.function.arguments }}}</tool_call>'
    "{%- endfor -%}"
    "{%- endmacro -%}"
    "{%- if tools -%}{{ '<|im_start|>tools\\n' }}{{ tools | tojson }}{{ '<|im_end|>\\n' }}{%- endif -%}"
    "{%- for message in messages -%}"
    "{{ '<|im_start|>' + message.role + '\\n' }}"
    "{%- if message.role == 'assistant' and (message.train is not defined or message.train is none"
    " or message.train) -%}"
    "{%- generation -%}{{ render(message) }}{{ '<|im_end|>' }}{%- endgeneration -%}"
    "{%- else -%}"
    "{{ render(message) }}{{ '<|im_end|>' }}"
    "{%- endif -%}"
    "{{ '\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
