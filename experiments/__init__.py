"""One-off research commands (``python -m experiments.NAME``): figures
of checkpoints, the engine over labelled clips, ablations, weight averaging, labeller agreement.
They use game/ and model/; nothing in game/ or model/ imports them."""
