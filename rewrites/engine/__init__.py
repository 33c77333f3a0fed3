"""Query rewriting without Django: rephrase chains from FORMAT.md dialogues (``chains``) and the
absorbing Markov chain over them (``markov``), solved with sparse linear algebra."""
