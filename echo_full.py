"""
Title: Echo a random sequence with an LSTM
Description: A many-to-many LSTM reads a window of 5 random integers, one-hot encoded, and
writes the same 5 integers back, one per time step: [86, 81, 88, 1, 23] -> [86, 81, 88, 1, 23].

You will learn how to turn integer sequences into one-hot windows (the pandas shift/concat
way), how `return_sequences=True` plus a Dense layer gives one prediction per time step,
why `Dense` on a 3-D tensor is `TimeDistributed(Dense)`, and how the original stateful
recipe (500 `fit` calls) becomes one `fit` call in Keras 3.
Run time: about 10 s on 2 CPU cores, 3 s of it training (`--recipe tutorial`: 5 s more).
"""

# %% [markdown]
# ## Introduction
#
# The *echo* problem: the network sees a window of integers one step at a time and must
# output, at every step, the integer it is reading. It is the simplest sequence-to-sequence
# task, so everything you see here is about how Keras LSTMs take and return sequences,
# not about a hard problem. The data are windows of 5 steps cut from random sequences of 25
# integers in 0..99 (21 windows per sequence); the model is judged on fresh sequences it
# has never seen.

# %% [markdown]
# ## Setup

# %%
import common  # first: it quiets TensorFlow's start-up notes before Keras loads it
import keras
from keras import layers

from common.cli import apply_recipe, check_sequence_batches, make_parser, parse_args, percent
from common.cli import positive_float, positive_int, print_summary, write_outputs
from common.data import TEST, TRAIN, frame_pandas, generate_sequences, make_rng, one_hot_encode
from common.evaluate import format_examples, sequence_accuracy_report
from common.plots import plot_training_curves
from common.training import fit_verbosity, fit_windows, predict_classes, seed_everything

# Two ways to train. `fast` is this collection's recipe: a stateless LSTM, shuffled
# windows and large batches. `tutorial` is the original: a stateful LSTM(20), batch 7, one
# new 25-step sequence per "epoch", state reset after each sequence, 500 sequences.
RECIPES = {
    "fast": {"units": 48, "epochs": 3, "batch_size": 256, "learning_rate": 0.03, "sequences": 500},
    "tutorial": {"units": 20, "epochs": 500, "batch_size": 7, "learning_rate": 0.001},
}
TEST_SEQUENCES = 100  # held-out sequences: 100 x 21 = 2100 windows

# %% [markdown]
# ## Generate the data
#
# One random sequence of 25 integers becomes 21 overlapping windows of 5. The pandas way
# (`common.data.frame_pandas`) puts the sequence in a column, makes lagged copies with
# `shift`, places them side by side with `concat` and drops the rows a shift left empty:
#
# ```
# sequence [86, 81, 88, 1, 23, 78, ...]
# window 0 [86, 81, 88, 1, 23]  ->  [86, 81, 88, 1, 23]
# window 1 [81, 88, 1, 23, 78]  ->  [81, 88, 1, 23, 78]
# ```
#
# Each input integer becomes a one-hot vector of 100 values, so an input window has the
# shape `(5 time steps, 100 features)`. The targets stay integers: with
# `sparse_categorical_crossentropy` Keras compares a softmax over 100 classes with the
# class number, the same loss as one-hot targets without building them.


# %%
def make_windows(rng, n_sequences, length, window, vocab):
    """One-hot input windows (n, window, vocab) and integer targets (n, window)."""
    sequences = generate_sequences(rng, n_sequences, length, vocab)
    x_int, y = frame_pandas(sequences, n_in=window, n_out=window)
    return one_hot_encode(x_int, vocab), y


# %% [markdown]
# ## Build the model
#
# `return_sequences=True` makes the LSTM return its output at every step, shape
# `(batch, 5, units)`, instead of only the last one. A `Dense` layer then maps each step's
# vector to 100 class probabilities.
#
# The original tutorial wraps the Dense in `TimeDistributed`, which applies a layer to
# every time step with the same weights. In Keras 3 a `Dense` layer given a 3-D tensor
# already does exactly that: its kernel multiplies the last axis and the other axes come
# along. The two give identical outputs for identical weights (`tests/test_echo_full.py`
# checks it), but `TimeDistributed` runs a loop over the steps and is slower, so we use
# the plain Dense. `--time-distributed` builds the wrapped version to compare.


# %%
def build_model(window, vocab, units, batch_size=None, stateful=False, time_distributed=False):
    """LSTM(return_sequences=True) -> Dense softmax per step: (window, vocab) -> (window, vocab).

    A stateful LSTM keeps its state from one batch to the next, so Keras must know the batch
    size when the model is built: then the input is `keras.Input(batch_shape=...)`.
    """
    if stateful:
        inputs = keras.Input(batch_shape=(batch_size, window, vocab))
    else:
        inputs = keras.Input(shape=(window, vocab))
    # Every step's output, not just the last: one prediction per input step.
    sequence = layers.LSTM(units, return_sequences=True, stateful=stateful)(inputs)
    # One softmax over the vocabulary at each step, the same weights for every step.
    per_step = layers.Dense(vocab, activation="softmax")
    if time_distributed:
        per_step = layers.TimeDistributed(per_step)
    return keras.Model(inputs, per_step(sequence), name="echo_full")


# %% [markdown]
# ## Train
#
# The tutorial trains with a loop of 500 `fit(epochs=1)` calls, one per new sequence,
# and `model.reset_states()` after each. In Keras 3 we generate the 500 sequences up
# front and make a single `fit` call over their 10,500 windows, unshuffled, with a callback
# that resets the LSTM state every 3 batches (21 windows / batch 7), where each
# sequence ends. The weight updates are the same; the Python overhead of 500 calls is gone.
#
# ```python
# model.fit(x, y, batch_size=7, epochs=1, shuffle=False,
#           callbacks=[ResetStatesEvery(3)])  # from common.training
# ```
#
# The fast recipe drops the state (each window holds all the context the task needs),
# shuffles, and takes larger batches with a larger learning rate. Both calls live in
# `common.training.fit_windows`, which also times the fit and records a training curve;
# `main` below calls it.


# %% [markdown]
# ## Run it
#
# `main` reads the flags, trains, and evaluates on 100 fresh sequences from a separate
# random stream. *Element accuracy* counts single integers; *sequence accuracy* counts
# windows with all 5 steps right. Expect 100.00% for both.


# %%
def parse(argv=None):
    parser = make_parser("echo_full.py", __doc__, epochs=None, batch_size=None,
                         helps={"epochs": "passes over the data (fast: 3); for --recipe tutorial, "
                                          "the number of training sequences (500)",
                                "batch_size": "windows per update (fast: 256, tutorial: 7)"})
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="fast",
                        help="fast: this collection's recipe; tutorial: the original stateful one")
    parser.add_argument("--length", type=positive_int, default=25, help="integers per sequence")
    parser.add_argument("--window", type=positive_int, default=5, help="time steps per window")
    parser.add_argument("--vocab", type=positive_int, default=100, help="integers are 0..vocab-1")
    parser.add_argument("--units", type=positive_int, help="LSTM units (fast: 48, tutorial: 20)")
    parser.add_argument("--learning-rate", type=positive_float, help="Adam's (fast: 0.03, tutorial: 0.001)")
    parser.add_argument("--time-distributed", action="store_true",
                        help="wrap the Dense in TimeDistributed (same model, slower)")
    args = parse_args(parser, argv, quick_defaults={"epochs": 1})
    apply_recipe(args, RECIPES)
    if args.vocab < 2:
        parser.error(f"argument --vocab: must be at least 2, got {args.vocab}")
    if args.window > args.length:
        parser.error(f"argument --window: ({args.window}) must not exceed --length ({args.length})")
    if args.recipe == "tutorial":
        check_sequence_batches(parser, args, args.length - args.window + 1)
    return args


def main(argv=None) -> dict:
    args = parse(argv)
    seed_everything(args.seed)
    stateful = args.recipe == "tutorial"
    windows_per_sequence = args.length - args.window + 1
    n_train = args.epochs if stateful else args.sequences
    x, y = make_windows(make_rng(args.seed, TRAIN), n_train, args.length, args.window, args.vocab)
    x_test, y_test = make_windows(make_rng(args.seed, TEST), TEST_SEQUENCES, args.length,
                                  args.window, args.vocab)

    model = build_model(args.window, args.vocab, args.units, batch_size=args.batch_size,
                        stateful=stateful, time_distributed=args.time_distributed)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Training on {len(x)} windows of shape {x.shape[1:]} ({args.recipe} recipe)")
    resets_every = windows_per_sequence // args.batch_size  # batches per sequence (stateful)
    curve, loss, seconds = fit_windows(model, x, y, batch_size=args.batch_size, epochs=args.epochs,
                                       resets_every=resets_every, verbose=fit_verbosity(args.quiet))

    predicted = predict_classes(model, x_test, resets_every)
    scores = sequence_accuracy_report(y_test, predicted)
    metrics = {"script": "echo_full", "backend": keras.backend.backend(), "seed": args.seed,
               "recipe": args.recipe, "epochs": args.epochs, "batch_size": args.batch_size,
               "units": args.units, "learning_rate": args.learning_rate, "length": args.length,
               "window": args.window, "vocab": args.vocab, "train_windows": len(x),
               "test_windows": len(x_test), "train_seconds": round(seconds, 3), "train_loss": loss, **scores}

    if args.examples:
        print(f"\nHeld-out examples (first {args.examples}):")
        print(format_examples(y_test, predicted, args.examples))
    print_summary(f"echo_full ({args.recipe} recipe, {metrics['backend']})", {
        "training windows": f"{len(x)} ({n_train} sequences)",
        "training time": f"{seconds:.1f} s",
        "held-out element accuracy": percent(scores["element_accuracy"]),
        "held-out sequence accuracy": percent(scores["sequence_accuracy"]) + f" of {len(x_test)} windows",
    })
    write_outputs(args, metrics, model, lambda path: plot_training_curves(
        curve, path, f"echo_full: LSTM({args.units}), {args.recipe} recipe",
        held_out=scores["element_accuracy"]))
    return metrics


if __name__ == "__main__":
    main()
