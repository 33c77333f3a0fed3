from __future__ import annotations

from pathlib import Path

import torch

from models_app.ml.encoder import default_encoder_path, load_pretrained_encoder, load_tokenizer


def test_the_packaged_encoder_loads_offline_and_encodes_a_batch() -> None:
    path = default_encoder_path()
    assert (Path(path) / "config.json").exists()
    tokenizer = load_tokenizer(None)
    encoder = load_pretrained_encoder(None).eval()
    batch = tokenizer(
        ["play purple haze", "what's the weather in paris tomorrow"], padding=True, return_tensors="pt"
    )
    with torch.inference_mode():
        states = encoder(**batch).last_hidden_state
    assert states.shape[0] == 2 and states.shape[-1] == encoder.config.hidden_size
    assert torch.isfinite(states).all()
