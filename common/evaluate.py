"""Held-out evaluation: how many predicted integers are right, and where."""

import numpy as np

RIGHT, WRONG = "\u2611", "\u2612"  # ☑ ☒


def sequence_accuracy_report(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Accuracies of predicted integer sequences against the targets, both (samples, steps).

    - ``element_accuracy``: the share of single integers that are right.
    - ``sequence_accuracy``: the share of sequences with every step right.
    - ``per_position_accuracy``: the share right at each output step.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: targets {y_true.shape}, predictions {y_pred.shape}")
    correct = y_true == y_pred
    return {
        "element_accuracy": float(correct.mean()),
        "sequence_accuracy": float(correct.all(axis=1).mean()),
        "per_position_accuracy": [float(a) for a in correct.mean(axis=0)],
    }


def format_examples(targets, predictions, n: int, inputs=None, spell=None) -> str:
    """The first ``n`` held-out examples, one line each: input (if given), expected and
    predicted values, with a ☑ where the whole prediction is right and a ☒ where not.

    ``spell(values)`` writes one input, target or prediction as text (default: a list of
    integers, ``[3, 1, 4]``); inputs are right-aligned, so inputs of different lengths line
    up. ``predictions`` may also be a dict ``{model name: predictions}``: then each example
    shows its input and target on one line and every model's prediction on its own line.
    """
    spell = spell or _ints
    shown = [""] * n
    if inputs is not None:
        written = [spell(x) for x in inputs[:n]]
        width = max(map(len, written), default=0)
        shown = [f"Input {text:>{width}}  " for text in written]
    if isinstance(predictions, dict):
        width = max(len(name) for name in predictions)
        blocks = []
        for i, y in enumerate(targets[:n]):
            rows = [f"{shown[i]}Expected {spell(y)}"]
            for name, predicted in predictions.items():
                mark = RIGHT if np.array_equal(y, predicted[i]) else WRONG
                rows.append(f"  {name:<{width}}  {mark} Predicted {spell(predicted[i])}")
            blocks.append("\n".join(rows))
        return "\n".join(blocks)
    lines = []
    for i, (y, p) in enumerate(zip(targets[:n], predictions[:n])):
        mark = RIGHT if np.array_equal(y, p) else WRONG
        lines.append(f"{shown[i]}Expected {spell(y)}  {mark} Predicted {spell(p)}")
    return "\n".join(lines)


def _ints(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"
