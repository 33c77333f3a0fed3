"""Precision chosen from what the CPU has in hardware, never assumed."""

from __future__ import annotations

from models_app.ml.hardware import CpuInfo, cpu_info, parse_cpuinfo, resolve_precision

INTEL_WITH_BF16 = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8488C
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile
processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8488C
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile
"""
EPYC_WITH_AVX2_ONLY = """processor\t: 0
model name\t: AMD EPYC 7R13 Processor
flags\t\t: fpu sse2 fma avx2 bmi2
"""


def test_it_reads_the_model_name_and_flags_of_the_first_processor() -> None:
    info = parse_cpuinfo(INTEL_WITH_BF16)
    assert info.model == "Intel(R) Xeon(R) Platinum 8488C"
    assert {"avx512_bf16", "amx_bf16", "avx2"} <= info.flags


def test_auto_means_bf16_only_where_the_hardware_has_it() -> None:
    assert resolve_precision("auto", parse_cpuinfo(INTEL_WITH_BF16)) == "bf16"
    assert resolve_precision("auto", parse_cpuinfo(EPYC_WITH_AVX2_ONLY)) == "fp32"
    assert resolve_precision("auto", CpuInfo(model="", flags=frozenset({"amx_bf16"}))) == "bf16"


def test_a_precision_asked_for_by_name_is_kept_whatever_the_cpu() -> None:
    for precision in ("fp32", "bf16", "int8"):
        assert resolve_precision(precision, parse_cpuinfo(EPYC_WITH_AVX2_ONLY)) == precision


def test_it_describes_the_machine_for_a_timing() -> None:
    described = parse_cpuinfo(EPYC_WITH_AVX2_ONLY).describe()
    assert described == {"cpu": "AMD EPYC 7R13 Processor", "cpu_flags": ["avx2"], "bf16_in_hardware": False}


def test_this_machine_has_a_name_and_a_best_precision() -> None:
    info = cpu_info()
    assert info.model
    assert info.best_precision == ("bf16" if info.flags & {"avx512_bf16", "amx_bf16"} else "fp32")
