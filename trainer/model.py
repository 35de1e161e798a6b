"""Models for GRPO: unsloth 4-bit + LoRA on CUDA, transformers + peft elsewhere, or a tiny model
built in code for smoke runs and tests (no Hub needed).

`load_policy(name, ...)` returns `(model, tokenizer, peft_config)`: pass `peft_config` on to
`GRPOTrainer` (it is `None` when the model is already a peft model, as on the unsloth path, or
when LoRA is off). The LoRA and bitsandbytes configs are TRL's own (`get_peft_config`,
`get_quantization_config`) applied to the recipe's `ModelConfig`. The name `tiny` (or
`tiny:<alphabet-name>`) builds a 2-layer Qwen2 with a character tokenizer instead of downloading
anything.

unsloth is imported lazily and only when asked for *and* CUDA is present (it refuses or degrades
to a stub without a GPU); call `import_unsloth_if_wanted` before anything imports trl, because
unsloth patches trl and transformers on import.

Without unsloth, `load_in_4bit` uses bitsandbytes when CUDA and bitsandbytes are there, and full
precision otherwise. Left out: multi-GPU placement and merging adapters; the tiny tokenizer
knows only its alphabet (other characters map to `<unk>`).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import string
from typing import Any

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("<pad>", "<eos>", "<unk>")
MARKER_TOKENS = ("####", "<think>", "</think>")
ALPHABETS = {
    # Enough for GSM8K text and the reasoning template.
    "ascii": string.ascii_letters + string.digits + string.punctuation + " \n",
    # The toy "x+0=" task: a vocabulary of 15, so a 2-layer model learns it in a minute.
    "digits": string.digits + "+= ",
}
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def import_unsloth_if_wanted(want: bool) -> bool:
    """Import unsloth (before trl) when wanted, installed and CUDA is present; True if imported."""
    if not want:
        return False
    if importlib.util.find_spec("unsloth") is None:
        logger.warning("use_unsloth is set but unsloth is not installed; using transformers+peft")
        return False
    if not cuda_available():
        logger.warning("use_unsloth is set but no CUDA device is visible; using transformers+peft")
        return False
    import unsloth  # noqa: F401  (patches trl/transformers on import)

    return True


def build_tiny_tokenizer(alphabet: str = "ascii") -> Any:
    """A character-level `PreTrainedTokenizerFast`; `####`, `<think>`, `</think>` are one token."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = ALPHABETS.get(alphabet, alphabet)
    vocab: dict[str, int] = {}
    for token in (*SPECIAL_TOKENS, *MARKER_TOKENS, *chars):
        vocab.setdefault(token, len(vocab))
    markers = "|".join(t.replace("/", "\\/") for t in MARKER_TOKENS)
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(f"{markers}|."), behavior="isolated")
    core.decoder = decoders.Fuse()
    fast_tokenizer: Any = PreTrainedTokenizerFast  # untyped in some transformers releases
    tokenizer = fast_tokenizer(
        tokenizer_object=core,
        pad_token="<pad>",
        eos_token="<eos>",
        unk_token="<unk>",
        padding_side="left",
        model_input_names=["input_ids", "attention_mask"],  # no token_type_ids for generate()
    )
    # Conversational prompts: contents joined, no role markers (the tiny model has no chat format).
    tokenizer.chat_template = (
        "{% for m in messages %}{{ m['content'] }}{% if not loop.last %}\n{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}\n{% endif %}"
    )
    return tokenizer


def build_tiny_model(
    tokenizer: Any, *, hidden_size: int = 64, layers: int = 2, heads: int = 4, seed: int = 0
) -> Any:
    """A randomly initialised Qwen2 causal LM sized for CPU smoke runs (~0.1M parameters)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 4,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = None
    return model


def peft_config_from(model_args: Any) -> Any:
    """TRL's LoRA config for a `ModelConfig` (None unless `use_peft`), with our default target
    modules when the recipe names none."""
    trl: Any = importlib.import_module("trl")
    config = trl.get_peft_config(model_args)
    if config is not None and not config.target_modules:
        config.target_modules = list(DEFAULT_LORA_TARGETS)
    return config


def quantization_from(model_args: Any) -> Any:
    """TRL's bitsandbytes config for the recipe's 4-/8-bit flags; None (full precision) without
    CUDA or bitsandbytes, where it could not load."""
    if not (cuda_available() and importlib.util.find_spec("bitsandbytes")):
        return None
    trl: Any = importlib.import_module("trl")
    return trl.get_quantization_config(model_args)


def load_policy(
    name: str,
    *,
    peft_config: Any = None,
    quantization_config: Any = None,
    use_unsloth: bool = False,
    load_in_4bit: bool = True,
    max_seq_length: int = 2048,
    dtype: str | None = None,
    seed: int = 0,
) -> tuple[Any, Any, Any]:
    """`(model, tokenizer, peft_config_or_None)` for `name` (a Hub id, a local path, a GGUF file
    or a folder holding one, or `tiny`).

    `peft_config` and `quantization_config` come from the recipe's `ModelConfig` through
    `peft_config_from` / `quantization_from`; unsloth reads its LoRA settings from `peft_config`."""
    if name == "tiny" or name.startswith("tiny:"):
        tokenizer = build_tiny_tokenizer(name.partition(":")[2] or "ascii")
        model = build_tiny_model(tokenizer, seed=seed)
        # A tiny model trains fully: LoRA on 64-wide layers would leave too little to learn.
        return model, tokenizer, None
    if use_unsloth and _unsloth_imported():
        return _load_unsloth(name, peft_config, load_in_4bit, max_seq_length, seed)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trainer.gguf import resolve_model_path

    name = resolve_model_path(name)  # a GGUF file: its converted, cached folder
    tokenizer = AutoTokenizer.from_pretrained(name)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    kwargs: dict[str, Any] = {"dtype": dtype or "auto"}
    if quantization_config is not None:
        kwargs["quantization_config"] = quantization_config
        kwargs["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(name, **kwargs)
    return model, tokenizer, peft_config


def _unsloth_imported() -> bool:
    import sys

    return "unsloth" in sys.modules


def _load_unsloth(
    name: str, peft_config: Any, load_in_4bit: bool, max_seq_length: int, seed: int
) -> tuple[Any, Any, Any]:
    from unsloth import FastLanguageModel

    r = getattr(peft_config, "r", 16)
    alpha = getattr(peft_config, "lora_alpha", 32)
    targets = getattr(peft_config, "target_modules", None)

    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=name, max_seq_length=max_seq_length, load_in_4bit=load_in_4bit
    )
    model = FastLanguageModel.get_peft_model(
        model,
        r=r,
        lora_alpha=alpha,
        target_modules=list(targets or DEFAULT_LORA_TARGETS),
        use_gradient_checkpointing="unsloth",
        random_state=seed,
    )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer, None
