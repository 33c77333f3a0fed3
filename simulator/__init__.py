"""Selflearn's assistant-log simulator: realistic dialogues on real utterances, labels true by construction.

Plain Python (no Django). Run it as `python -m simulator --dialogues N --users U --seed S --out FILE`.
"""

from __future__ import annotations

from simulator.config import SimConfig
from simulator.dialogues import Simulator

__all__ = ["SimConfig", "Simulator"]
