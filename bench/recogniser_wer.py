"""Word error rate of a real recogniser on synthetic speech of the corpora's requests; one JSON line.

    python bench/recogniser_wer.py [--utterances 40] [--corpus snips] [--split valid] [--rate 150]

espeak-ng (Debian's package) speaks each utterance, and pocketsphinx's general US English model (it
ships in the PyPI wheel) recognises it. Neither is a requirement of the project: this measures whether
a real recogniser's mistakes could replace the simulator's phonetic confusions (simulator/asr.py),
which needs a word error rate near production recognisers' 5-15% (docs/MODEL.md says what it gave).
Install them for the run: ``apt-get install espeak-ng`` and ``pip install pocketsphinx``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, emit

SAMPLE_RATE = 16_000  # what pocketsphinx's acoustic model was trained on


def speak(text: str, folder: Path, rate: int) -> bytes:
    """16 kHz 16-bit mono PCM of espeak-ng saying ``text``."""
    path = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", str(rate), "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path), "rb") as source:
        rate_in = source.getframerate()
        samples = np.frombuffer(source.readframes(source.getnframes()), dtype=np.int16)
    from scipy.signal import resample_poly

    divisor = np.gcd(SAMPLE_RATE, rate_in)
    resampled = resample_poly(samples.astype(np.float32), SAMPLE_RATE // divisor, rate_in // divisor)
    return bytes(np.clip(resampled, -32768, 32767).astype(np.int16).tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=40)
    parser.add_argument("--corpus", default="snips")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--rate", type=int, default=150, help="espeak-ng words per minute")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from pocketsphinx import Decoder
    from rapidfuzz.distance import Levenshtein

    from models_app.ml.plausibility import words
    from models_app.recipes.corpora import corpus_dialogues

    texts: list[str] = []
    for dialogue in corpus_dialogues(args.corpus, args.data_dir, args.split):
        texts += [turn["utterance"] for turn in dialogue["turns"] if turn.get("utterance")]
        if len(texts) >= args.utterances:
            break
    texts = texts[: args.utterances]
    decoder = Decoder(samprate=SAMPLE_RATE)
    errors = reference_words = 0
    examples = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="selflearn-wer-") as folder:
        for text in texts:
            decoder.start_utt()
            decoder.process_raw(speak(text, Path(folder), args.rate), full_utt=True)
            decoder.end_utt()
            heard = decoder.hyp().hypstr if decoder.hyp() is not None else ""
            said_words, heard_words = words(text), words(heard)
            errors += Levenshtein.distance(said_words, heard_words)
            reference_words += len(said_words)
            if len(examples) < 5:
                examples.append({"said": text, "heard": heard})
    emit(
        {
            "benchmark": "recogniser_wer",
            "recogniser": "pocketsphinx general en-us model",
            "speech": f"espeak-ng at {args.rate} words per minute",
            "corpus": f"{args.corpus} {args.split}",
            "utterances": len(texts),
            "words": reference_words,
            "word_error_rate": round(errors / max(reference_words, 1), 4),
            "examples": examples,
            "seconds": round(time.perf_counter() - started, 1),
            "load_average": [round(value, 2) for value in os.getloadavg()],
        }
    )


if __name__ == "__main__":
    main()
