from __future__ import annotations

import torch

from models_app.ml.calibration import fit_temperature, nll


def test_temperature_scaling_lowers_the_nll_of_an_over_confident_model() -> None:
    generator = torch.Generator().manual_seed(0)
    targets = torch.randint(0, 4, (2000,), generator=generator)
    # Right 70% of the time, but with a margin that claims ~100% confidence.
    predicted = torch.where(torch.rand(2000, generator=generator) < 0.7, targets, (targets + 1) % 4)
    logits = torch.nn.functional.one_hot(predicted, 4).float() * 12.0
    temperature = fit_temperature(logits, targets)
    assert temperature > 1.0
    assert nll(logits, targets, temperature) < nll(logits, targets) / 3


def test_temperature_scaling_keeps_a_calibrated_model_about_as_it_is() -> None:
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(3000, 3, generator=generator)
    targets = torch.distributions.Categorical(logits=logits).sample()
    temperature = fit_temperature(logits, targets)
    assert 0.8 < temperature < 1.25
    assert nll(logits, targets, temperature) <= nll(logits, targets)


def test_nothing_to_fit_means_no_change() -> None:
    assert fit_temperature(torch.zeros((0, 3)), torch.zeros(0, dtype=torch.long)) == 1.0
