"""The label generation model: plain PyTorch and transformers, no Django.

Modules, one job each:

- ``data``: the dataclasses exchanged with the Django side (examples in, predictions out).
- ``format_adapter``: FORMAT.md dialogues to examples; spans back to FORMAT.md.
- ``config``: ``ModelConfig`` (architecture) and ``TrainConfig`` (optimisation, presets).
- ``encoder``: the packaged MiniLM (offline) or any Hugging Face encoder; a tiny random one for tests.
- ``tokenization``: turns to word pieces (pair encoding, offsets); slot spans to and from BIO tags.
- ``features``: label inventories; categorical and numerical turn features; targets with masks.
- ``evidence``: entity evidence of one turn (are the assistant's slot values the words said?).
- ``plausibility``: a word trigram model of real requests (nltk.lm): how likely the heard words are.
- ``explain``: the evidence behind a failure point, as sentences a reviewer reads beside the label.
- ``augment``: log fields dropped at random in training, as real logs lack them.
- ``batching``: padding dialogues into tensors; packing dialogues into batches of about N turns.
- ``heads``, ``model``: the network (turn encoder, dialogue context transformer, heads).
- ``losses``: the masked multi-task loss.
- ``pretrain``: self-supervised data (swapped responses and turns).
- ``self_training``: a model's confident labels of unlabelled logs as training gold.
- ``preferences``: preference statements read from the intent and slot heads.
- ``train``: ``train_model`` (pretraining, multi-task training, self-training, model selection,
  calibration); ``loop``: the clock, optimiser and schedule, the rounds that keep the best point.
- ``calibration``: temperature scaling per head.
- ``inference``, ``decoding``: fast batched logits; logits to predictions with confidences.
- ``checkpoint``: ``TrainedModel`` and its self-contained checkpoint directory.
- ``predict``: ``Predictor`` (load once, fp32 / bf16 / int8).
- ``metrics``: ``evaluate`` (scikit-learn and seqeval).
"""
