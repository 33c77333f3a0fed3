"""Defaults of the recipes that need no database (the command-line options read them too)."""

from __future__ import annotations

# What the dialogues recipe pairs with each utterance unless told otherwise: the response and the next
# utterance, and what the assistant understood as text, so a single command's NLU error shows as a
# mismatch between the words and the reading (measured in bench/model_quality.py; see the README).
DIALOGUES_CONTEXT_FIELDS = ("response", "next", "nlu")
