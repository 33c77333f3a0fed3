"""What this CPU can do, read from the flags the kernel reports (the ones ``lscpu`` prints).

Precision is chosen from them, never assumed: on a CPU with bf16 in hardware (AVX-512 BF16 or AMX),
bf16 autocast makes a training step about a third faster than fp32 for the same figures; on one
without (an AMD EPYC with AVX2 only, say), PyTorch emulates bf16 and one matmul took 62 times as long
as in fp32 (1,566 ms against 25 ms). ``auto`` therefore means bf16 only where the hardware has it.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# The precisions a person may ask for; "auto" is resolved on the machine that runs the model.
AUTO = "auto"
# Flags that mean bf16 arithmetic in hardware: AVX-512 BF16 (Cooper Lake, Sapphire Rapids, Zen 4) and
# the AMX tiles (Sapphire Rapids and later).
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# The flags worth quoting beside a timing: the vector width and the low-precision instructions.
REPORTED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile")
CPUINFO = Path("/proc/cpuinfo")


@dataclass(frozen=True)
class CpuInfo:
    """The model name and the flags of this machine's CPU (empty where the platform does not say)."""

    model: str
    flags: frozenset[str]

    @property
    def bf16_in_hardware(self) -> bool:
        return bool(self.flags & BF16_FLAGS)

    @property
    def best_precision(self) -> str:
        """The fastest training and inference precision that keeps the figures: bf16 where the
        hardware has it, fp32 otherwise."""
        return "bf16" if self.bf16_in_hardware else "fp32"

    def describe(self) -> dict[str, object]:
        """What a benchmark line or a model's history records about the machine."""
        return {
            "cpu": self.model,
            "cpu_flags": [flag for flag in REPORTED_FLAGS if flag in self.flags],
            "bf16_in_hardware": self.bf16_in_hardware,
        }


def parse_cpuinfo(text: str) -> CpuInfo:
    """The first processor's model name and flags from the text of /proc/cpuinfo."""
    model, flags = "", frozenset[str]()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split())
        if model and flags:
            break
    return CpuInfo(model=model, flags=flags)


@lru_cache(maxsize=1)
def cpu_info() -> CpuInfo:
    """This machine's CPU (read once per process). Off Linux the flags are unknown, so nothing is
    assumed to be in hardware and ``auto`` means fp32."""
    try:
        info = parse_cpuinfo(CPUINFO.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        info = CpuInfo(model="", flags=frozenset())
    return info if info.model else CpuInfo(model=platform.processor() or "unknown CPU", flags=info.flags)


def resolve_precision(precision: str, info: CpuInfo | None = None) -> str:
    """``auto`` as this CPU's best precision; any other precision as asked."""
    if precision == AUTO:
        return (info or cpu_info()).best_precision
    return precision
