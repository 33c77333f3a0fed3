"""What training costs on this CPU (the Train form), and how a finished training went (the model page)."""

from __future__ import annotations

from dataclasses import dataclass

from models_app.ml.config import TrainConfig
from models_app.ml.hardware import CpuInfo, resolve_precision
from models_app.models import ModelVersion

# Seconds one training step (a batch of 32 turns) took on one torch thread, by precision, measured by
# bench/demo_model.py on the 2-core development machine (an AMD EPYC with AVX-512 BF16). The Train form
# quotes them until this machine has trained a model of its own; from then on its own last rate.
REFERENCE_SECONDS_PER_STEP = {"bf16": 0.84, "fp32": 1.13}
# Steps of 32 turns in one epoch of the demo's training data (DEMO_TRAINING: 8,000 dialogues).
DEMO_STEPS_PER_EPOCH = 690


@dataclass(frozen=True)
class TrainingRun:
    """How a model's training went, from the history its checkpoint recorded."""

    steps: int
    total_steps: int
    minutes: float
    cut_short: bool
    max_minutes: float | None
    precision: str
    cpu: str
    bf16_in_hardware: bool | None

    @property
    def seconds_per_step(self) -> float | None:
        return self.minutes * 60 / self.steps if self.steps else None

    @property
    def text(self) -> str:
        machine = f" on {self.cpu}" if self.cpu else ""
        done = f"{self.steps:,} of {self.total_steps:,} steps in {self.minutes:.1f} min, "
        done += f"{self.precision}{machine}"
        if not self.cut_short:
            return done
        share = self.steps / self.total_steps if self.total_steps else 0.0
        cap = f"its {self.max_minutes:g}-minute cap" if self.max_minutes else "its time cap"
        return f"Cut short by {cap}: {done} ({share:.0%} of the planned training)"


def training_run(model_version: ModelVersion) -> TrainingRun | None:
    """The model's training as its history recorded it; None for a model made before histories."""
    config = model_version.config if isinstance(model_version.config, dict) else {}
    history, train = config.get("history") or {}, config.get("train") or {}
    if not isinstance(history, dict) or "steps" not in history:
        return None
    max_seconds = train.get("max_seconds") if isinstance(train, dict) else None
    return TrainingRun(
        steps=int(history.get("steps") or 0),
        total_steps=int(history.get("total_steps") or 0),
        minutes=float(history.get("seconds") or 0.0) / 60,
        cut_short=bool(history.get("stopped_at_max_seconds")),
        max_minutes=round(max_seconds / 60, 1) if isinstance(max_seconds, int | float) else None,
        precision=str(history.get("precision") or train.get("precision") or "fp32"),
        cpu=str(history.get("cpu") or ""),
        bf16_in_hardware=history.get("bf16_in_hardware"),
    )


@dataclass(frozen=True)
class PresetCost:
    """What a training preset costs on this machine's CPU, for the Train form."""

    preset: str
    precision: str
    seconds_per_step: float
    measured_here: bool
    epochs: int
    max_minutes: float | None

    def minutes_for(self, steps: int) -> float:
        minutes = steps * self.seconds_per_step / 60
        return min(minutes, self.max_minutes) if self.max_minutes else minutes

    @property
    def text(self) -> str:
        source = "this machine's last training" if self.measured_here else "the reference machine"
        per_10k = self.minutes_for(round(10_000 / 32)) if self.epochs else 0.0
        text = (
            f"{self.epochs} epoch{'s' if self.epochs != 1 else ''} in {self.precision}, about "
            f"{self.seconds_per_step:.2f} s per step of 32 turns ({source}): about {per_10k:.0f} min "
            "per 10,000 turns and epoch"
        )
        if self.preset == "demo":
            demo_minutes = self.minutes_for(DEMO_STEPS_PER_EPOCH * self.epochs)
            text += f"; the demo's 8,000 dialogues take about {demo_minutes:.0f} min"
        if self.max_minutes:
            text += f"; stops at {self.max_minutes:g} min whatever it reached"
        return text


def preset_costs(cpu: CpuInfo) -> list[PresetCost]:
    """For each training preset, its seconds per step on this CPU: the rate of the newest model
    trained on this CPU model in the same precision (its history names the CPU), else the reference."""
    measured: dict[str, float] = {}
    for config in ModelVersion.objects.order_by("-created_at").values_list("config", flat=True)[:50]:
        history = config.get("history") if isinstance(config, dict) else None
        if not isinstance(history, dict) or history.get("cpu") != cpu.model or not history.get("steps"):
            continue
        precision = str(history.get("precision") or "fp32")
        measured.setdefault(precision, float(history.get("seconds") or 0.0) / int(history["steps"]))
    costs = []
    for name in TrainConfig.PRESETS:
        config = TrainConfig.preset(name)
        precision = resolve_precision(config.precision, cpu)
        rate = measured.get(precision)
        costs.append(
            PresetCost(
                preset=name,
                precision=precision,
                seconds_per_step=rate or REFERENCE_SECONDS_PER_STEP[precision],
                measured_here=rate is not None,
                epochs=config.epochs,
                max_minutes=round(config.max_seconds / 60, 1) if config.max_seconds else None,
            )
        )
    return costs
