"""The response part of an OpenRLHF `query`: the decoded prompt + response, special tokens kept.

OpenRLHF decodes the prompt's tokens and the generated ones together with
`skip_special_tokens=False`, so a query is the chat-templated prompt, then the response, then
usually an end-of-turn token. `response_of(query, prompt)` finds the response:

1. the query starts with the prompt (decoding reproduced it exactly, the usual case): the rest;
2. otherwise, the text after the last assistant-turn marker of a known chat template
   (ChatML `<|im_start|>assistant`, Llama 3, DeepSeek, Gemma, Mistral `[/INST]`, Phi);
3. otherwise, the text after the longest run of the prompt's end found in the query (decoding
   may change the prompt's start, e.g. a leading space or BOS token);
4. otherwise the whole query (grading then sees the prompt too; say so in logs).

Trailing end-of-turn and padding tokens are removed from what is found.

>>> response_of("<|im_start|>user\\n2+2?<|im_end|>\\n<|im_start|>assistant\\n#### 4<|im_end|>",
...             "<|im_start|>user\\n2+2?<|im_end|>\\n<|im_start|>assistant\\n")
'#### 4'
>>> response_of("<s> [INST] 2+2? [/INST] It is 4</s>", "[INST] 2+2? [/INST]")
' It is 4'
"""

from __future__ import annotations

import re

# the last of these in a query starts the assistant's turn
ASSISTANT_MARKERS = (
    "<|im_start|>assistant\n",
    "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "<｜Assistant｜>",
    "<start_of_turn>model\n",
    "[/INST]",
    "<|assistant|>\n",
    "<|assistant|>",
)
END_TOKENS = (
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<｜end▁of▁sentence｜>",
    "<end_of_turn>",
    "<eos>",
    "</s>",
    "<|end|>",
    "<|pad|>",
    "<pad>",
)
_TRAILING_ENDS = re.compile(
    "(?:"
    + "|".join(re.escape(t) for t in END_TOKENS)
    + r")(?:\s|"
    + "|".join(re.escape(t) for t in END_TOKENS)
    + ")*$"
)
_PROMPT_TAIL_CHARS = (200, 64, 16)  # tried longest first


def response_of(query: str, prompt: str | None) -> str:
    """The response in `query` (see the module docstring for the rules)."""
    return _strip_end(_find_response(query, prompt or ""))


def _find_response(query: str, prompt: str) -> str:
    if prompt and query.startswith(prompt):
        return query[len(prompt) :]
    positions = [(query.rfind(m), m) for m in ASSISTANT_MARKERS]
    found = [(at, m) for at, m in positions if at >= 0]
    if found:
        at, marker = max(found)
        return query[at + len(marker) :]
    for size in _PROMPT_TAIL_CHARS:
        tail = prompt.strip()[-size:]
        if len(tail) >= min(size, 8):
            at = query.rfind(tail)
            if at >= 0:
                return query[at + len(tail) :]
    return query


def _strip_end(text: str) -> str:
    return _TRAILING_ENDS.sub("", text)
