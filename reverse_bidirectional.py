"""
Title: Reverse a sequence: why a forward LSTM cannot, and what can
Description: Four models read 5 random integers, one-hot encoded, and must write them back
in reverse order, one per time step: [3, 9, 4, 1, 7] -> [7, 1, 4, 9, 3].

You will learn why an LSTM that reads left to right gets only the second half of a
reversed sequence right (at step t it has not yet seen the integer it must write), why a
per-step Dense gets only the middle, and two fixes: `Bidirectional` (read both ways) and
an encoder-decoder (read everything, then write). All four train side by side on the same
data, and a table shows, per output position, which of them can do it.
Run time: about 25 s on 2 CPU cores, 15-20 s of it training the four models
(bilstm: about 5 s).
"""

# %% [markdown]
# ## Introduction
#
# A well-known question: someone trained an LSTM with `return_sequences=True` to output
# windows of random integers reversed, and only the last positions ever came out right.
# More training would not have helped. At output step `t` a forward LSTM has read only
# `x[0] .. x[t]`, but the target is `x[L-1-t]`: for the first half of the positions that
# integer is still in the future, and random integers cannot be guessed from the past.
#
# We train four models on the same sequences and measure each output position separately:
#
# | model    | what output step t can see           | can it write x[L-1-t]?              |
# |----------|--------------------------------------|-------------------------------------|
# | `dense`  | x[t] only                            | only where L-1-t = t: the middle    |
# | `lstm`   | x[0] .. x[t]                         | only where L-1-t <= t: the 2nd half |
# | `bilstm` | x[0] .. x[t] and x[t] .. x[L-1]      | everywhere                          |
# | `encdec` | the whole input, read before writing | everywhere                          |

# %% [markdown]
# ## Setup

# %%
import common  # first: it quiets TensorFlow's start-up notes before Keras loads it
import argparse

import keras
import numpy as np
from keras import layers

from common.cli import int_at_least, make_parser, parse_args, percent, positive_float, positive_int
from common.cli import print_summary, write_outputs
from common.data import TEST, TRAIN, generate_sequences, make_rng, one_hot_encode
from common.evaluate import RIGHT, WRONG, sequence_accuracy_report
from common.plots import plot_grouped_bars
from common.training import fit_verbosity, seed_everything, timed_fit

KINDS = ("dense", "lstm", "bilstm", "encdec")
# Every model gets the same recipe: 8192 sequences seen 8 times in batches of 256 with a
# large learning rate, 256 updates in all. That is enough for bilstm to reach 100%.
SAMPLES, EPOCHS, BATCH_SIZE, LEARNING_RATE, UNITS = 8192, 8, 256, 0.03, 64
TEST_SEQUENCES = 2000  # fresh held-out sequences, from a separate random stream

# %% [markdown]
# ## Generate the data
#
# Each sample is one random sequence of `length` integers in `0..vocab-1`. The input is
# its one-hot encoding, shape `(length, vocab)`; the target is the same integers reversed,
# shape `(length,)`:
#
# ```
# input  [3, 9, 4, 1, 7]   (as 5 one-hot vectors of 10 values)
# target [7, 1, 4, 9, 3]
# ```
#
# The targets stay integers: `sparse_categorical_crossentropy` compares the softmax at each
# step with the class number directly.


# %%
def make_reversal_data(rng, n, length, vocab):
    """One-hot inputs (n, length, vocab), reversed integer targets (n, length), and the
    integer inputs (n, length) for printing."""
    sequences = generate_sequences(rng, n, length, vocab)
    return one_hot_encode(sequences, vocab), sequences[:, ::-1].copy(), sequences


# %% [markdown]
# ## Build the models
#
# All four end in the same per-step `Dense` softmax. Given a 3-D tensor
# `(batch, steps, features)`, `Dense` applies one set of weights to each step on its own:
# it is what `TimeDistributed(Dense)` does, without the Python loop over steps. That is
# also its limit, and the point of the companion question: a per-step Dense sees one
# time step and nothing else, so whatever must come from other steps has to be carried
# there by the layer before it.


# %%
def build_model(kind, length, vocab, units):
    """One of KINDS: (length, vocab) one-hot -> (length, vocab) softmax per step."""
    inputs = keras.Input(shape=(length, vocab))
    if kind == "dense":
        # No recurrence: step t's hidden vector is computed from x[t] alone.
        hidden = layers.Dense(units, activation="relu")(inputs)
    elif kind == "lstm":
        # Reads left to right; step t's output summarises x[0] .. x[t].
        hidden = layers.LSTM(units, return_sequences=True)(inputs)
    elif kind == "bilstm":
        # Two LSTMs, one reading forwards and one backwards; their outputs at step t are
        # concatenated (2 * units features), so step t sees the whole sequence.
        hidden = layers.Bidirectional(layers.LSTM(units, return_sequences=True))(inputs)
    elif kind == "encdec":
        # The encoder reads all steps and keeps only its final state; RepeatVector hands
        # that summary to every output step, and the decoder LSTM unrolls it into a sequence.
        summary = layers.LSTM(units)(inputs)
        hidden = layers.RepeatVector(length)(summary)
        hidden = layers.LSTM(units, return_sequences=True)(hidden)
    else:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    outputs = layers.Dense(vocab, activation="softmax")(hidden)
    return keras.Model(inputs, outputs, name=kind)


# %% [markdown]
# ## Train
#
# One `fit` call per model over all the training sequences, shuffled, in large batches.
# The question's answer trained a Bidirectional LSTM(100) with a loop of 200 `fit` calls
# of 496 windows each, batch 16: 6,200 small updates and 200 calls' worth of overhead
# (`benchmarks/original_reverse_bidirectional.py` runs that recipe). Here 256 updates of
# 256 sequences at a higher learning rate do the same job in a few seconds.
#
# Each model starts from the same seed, so its result does not depend on which other
# models you train with `--models`.


# %%
def train_and_predict(kind, args, x, y, x_test):
    """Build, compile and fit one model; returns (model, seconds, predicted integers)."""
    seed_everything(args.seed)
    model = build_model(kind, args.length, args.vocab, args.units)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"\nTraining {kind}: {model.count_params():,} weights")
    _, seconds = timed_fit(model, x, y, batch_size=args.batch_size, epochs=args.epochs,
                           shuffle=True, verbose=fit_verbosity(args.quiet))
    # Calling the model directly (not predict) avoids tracing a new predict function for
    # every model; the held-out set is small enough to go through in one piece.
    probabilities = model(x_test, training=False)
    return model, seconds, keras.ops.convert_to_numpy(keras.ops.argmax(probabilities, axis=-1))


# %% [markdown]
# ## Evaluate
#
# One row per model, one column per output position, and under each position the input
# the model must copy there. The default run (seed 7) prints (seconds vary by machine):
#
# ```
# model       pos 0    pos 1    pos 2    pos 3    pos 4    element   sequence   train s
# copies         x4       x3       x2       x1       x0
# dense      10.45%   10.85%  100.00%   10.85%   10.45%     28.52%      1.75%       1.9
# lstm       11.20%   10.30%  100.00%   99.95%   99.90%     64.27%      1.40%       3.3
# bilstm    100.00%  100.00%  100.00%  100.00%  100.00%    100.00%    100.00%       5.6
# encdec    100.00%   99.45%   97.85%   95.45%   95.80%     97.71%     90.05%       6.7
# ```
#
# - `dense` is right only at position 2, the middle, where the target x2 is the very
#   input it is reading. Elsewhere it is at chance (10% with 10 integers): the integer it
#   must write sits at another step, which it never sees. It ends up copying its input
#   unreversed, which is as good a guess as any (`--examples` shows it).
# - `lstm` is right at positions 2, 3 and 4, whose targets x2, x1, x0 it has already read
#   and only has to remember. At positions 0 and 1 the targets are x4 and x3, which it
#   reads only later: it is at chance there, however long it trains. Hence about
#   3/5 + 2/5 x 10% = 64% of integers, and almost no sequence fully right. This is the
#   question's symptom: only the last positions come out right.
# - `bilstm` is right everywhere: the backward LSTM starts at the end, so at step 0 it
#   has already read x4 .. x0, and the Dense sees both directions' outputs side by side.
# - `encdec` is nearly right everywhere too, but learns more slowly: it must squeeze all
#   five integers into one state vector before writing, and it loses x0, read first and
#   written last, most often. More data narrows the gap: `--models encdec --samples 32768`
#   reaches about 99.7% of integers.


# %%
def accuracy_table(results, length, vocab):
    """Aligned plain-text table: a row per model, a column per position, then element and
    sequence accuracy and training seconds."""
    first = max(8, *(len(name) + 2 for name in results))
    heads = [f"{f'pos {t}':>9}" for t in range(length)] + [f"{h:>11}" for h in
                                                           ("element", "sequence", "train s")]
    copies = "".join(f"{f'x{length - 1 - t}':>9}" for t in range(length))
    lines = [f"{'model':<{first}}" + "".join(heads), f"{'copies':<{first}}" + copies]
    for name, scores in results.items():
        cells = [f"{percent(a):>9}" for a in scores["per_position_accuracy"]]
        cells += [f"{percent(scores[key]):>11}" for key in ("element_accuracy", "sequence_accuracy")]
        lines.append(f"{name:<{first}}" + "".join(cells) + f"{scores['train_seconds']:>11.1f}")
    lines.append(f"chance (guessing 1 of {vocab} integers): {percent(1 / vocab)} at every position")
    return "\n".join(lines)


def format_model_examples(inputs, targets, predictions, n):
    """Input, target and every model's prediction for the first ``n`` held-out sequences."""
    width = max(6, *(len(name) for name in predictions))
    blocks = []
    for i in range(min(n, len(targets))):
        rows = [f"{'input':<{width}}  {inputs[i].tolist()}", f"{'target':<{width}}  {targets[i].tolist()}"]
        for name, predicted in predictions.items():
            mark = RIGHT if np.array_equal(predicted[i], targets[i]) else WRONG
            rows.append(f"{name:<{width}}  {predicted[i].tolist()} {mark}")
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks)


# %% [markdown]
# ## Run it


# %%
def model_list(text):
    """argparse type: a comma-separated list of KINDS, each named once."""
    names = [name.strip() for name in text.split(",")]
    if any(not name for name in names):
        raise argparse.ArgumentTypeError(f"empty entry in {text!r}")
    unknown = [name for name in names if name not in KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown model {unknown[0]!r} (choose from {', '.join(KINDS)})")
    if len(set(names)) < len(names):
        raise argparse.ArgumentTypeError(f"a model is named twice in {text!r}")
    return names


def parse(argv=None):
    parser = make_parser("reverse_bidirectional.py", __doc__, epochs=EPOCHS, batch_size=BATCH_SIZE,
                         helps={"batch_size": "sequences per weight update",
                                "save": "save the bilstm model to PATH (the last one trained if "
                                        "--models has no bilstm)"})
    parser.add_argument("--length", type=int_at_least(2), default=5, help="integers per sequence")
    parser.add_argument("--vocab", type=int_at_least(2), default=10, help="integers are 0..vocab-1")
    parser.add_argument("--models", type=model_list, default=",".join(KINDS), metavar="LIST",
                        help="comma-separated models to train, in this order")
    parser.add_argument("--units", type=positive_int, default=UNITS, help="units per layer (per direction)")
    parser.add_argument("--samples", type=positive_int, default=SAMPLES, help="training sequences")
    parser.add_argument("--learning-rate", type=positive_float, default=LEARNING_RATE, help="Adam's")
    return parse_args(parser, argv, quick_defaults={"epochs": 2, "samples": 2048})


def main(argv=None) -> dict:
    args = parse(argv)
    x, y, _ = make_reversal_data(make_rng(args.seed, TRAIN), args.samples, args.length, args.vocab)
    x_test, y_test, x_test_int = make_reversal_data(make_rng(args.seed, TEST), TEST_SEQUENCES,
                                                    args.length, args.vocab)
    print(f"Training {', '.join(args.models)} on {len(x)} sequences of shape {x.shape[1:]}")

    results, predictions, models = {}, {}, {}
    for kind in args.models:
        models[kind], seconds, predictions[kind] = train_and_predict(kind, args, x, y, x_test)
        results[kind] = {**sequence_accuracy_report(y_test, predictions[kind]),
                         "train_seconds": round(seconds, 3)}
    total = sum(scores["train_seconds"] for scores in results.values())
    metrics = {"script": "reverse_bidirectional", "backend": keras.backend.backend(),
               "seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size,
               "units": args.units, "learning_rate": args.learning_rate, "length": args.length,
               "vocab": args.vocab, "samples": args.samples, "test_sequences": TEST_SEQUENCES,
               "train_seconds": round(total, 3), "models": results}

    if args.examples:
        print(f"\nHeld-out examples (first {args.examples}):")
        print(format_model_examples(x_test_int, y_test, predictions, args.examples))
    print(f"\nHeld-out accuracy per output position ({TEST_SEQUENCES} fresh sequences)")
    print(accuracy_table(results, args.length, args.vocab))
    saved = "bilstm" if "bilstm" in models else args.models[-1]
    print_summary(f"reverse_bidirectional ({metrics['backend']})", {
        "models": ", ".join(args.models),
        "training": f"{len(x)} sequences x {args.epochs} epochs, batch {args.batch_size}",
        "training time": f"{total:.1f} s (all models)",
        **({"saved model": saved} if args.save else {}),
        **{f"{name} held-out": f"{percent(s['element_accuracy'])} of integers, "
                               f"{percent(s['sequence_accuracy'])} of sequences" for name, s in results.items()},
    })
    groups = [f"{t} (x{args.length - 1 - t})" for t in range(args.length)]
    write_outputs(args, metrics, models[saved], lambda path: plot_grouped_bars(
        groups, {n: s["per_position_accuracy"] for n, s in results.items()}, path,
        f"Reversing {args.length} integers: held-out accuracy per output position",
        "output position (the input it must copy)", chance=1 / args.vocab))
    return metrics


if __name__ == "__main__":
    main()
