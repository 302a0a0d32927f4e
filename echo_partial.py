"""
Title: Echo the start of a sequence with an encoder-decoder LSTM
Description: An encoder LSTM reads a window of 5 random integers, one-hot encoded, and a
decoder LSTM writes back only the first 2 of them: [86, 81, 88, 1, 23] -> [86, 81].

You will learn why a many-to-many LSTM cannot give an output shorter than its input, how
an encoder squeezes the whole window into one vector, how `RepeatVector` hands that vector
to every output step of a decoder, and how the original stateful recipe (5000 `fit` calls)
becomes one `fit` call in Keras 3.
Run time: about 10 s on 2 CPU cores, 4 s of it training (`--recipe tutorial`: about 1.5 min).
"""

# %% [markdown]
# ## Introduction
#
# In `echo_full.py` the LSTM wrote one output for every input step, so the output had to
# be as long as the input. Here the input is a window of 5 integers and the output is its
# first 2: the lengths differ. A many-to-many LSTM has no place to put "2 steps" — it
# emits exactly one vector per input step. We could pad the targets to 5 steps, but the
# cleaner answer is the *encoder-decoder*: one LSTM reads the input, a second one writes
# an output of any length we choose.
#
# The data are the same as before: windows cut from random sequences of 25 integers in
# 0..99 (21 windows per sequence), judged on fresh sequences the model has never seen.

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

# Two ways to train. `fast` is this collection's recipe: stateless LSTMs, shuffled windows,
# large batches and a large learning rate. `tutorial` is the original: stateful LSTM(150)
# encoder and decoder, batch 21 (one whole sequence per update), one new 25-step sequence
# per "epoch", state reset after each sequence, 5000 sequences.
RECIPES = {
    "fast": {"units": 32, "epochs": 5, "batch_size": 256, "learning_rate": 0.03, "sequences": 600},
    "tutorial": {"units": 150, "epochs": 5000, "batch_size": 21, "learning_rate": 0.001},
}
TEST_SEQUENCES = 100  # held-out sequences: 100 x 21 = 2100 windows

# %% [markdown]
# ## Generate the data
#
# `common.data.frame_pandas` cuts each sequence into overlapping windows of `n_in` steps
# (pandas `shift` and `concat`, as in `echo_full.py`); the target of a window is its
# oldest `n_out` values:
#
# ```
# sequence [86, 81, 88, 1, 23, 78, ...]
# window 0 [86, 81, 88, 1, 23]  ->  [86, 81]
# window 1 [81, 88, 1, 23, 78]  ->  [81, 88]
# ```
#
# Inputs are one-hot, shape `(n_in, vocab)`; targets stay integers, shape `(n_out,)`,
# for `sparse_categorical_crossentropy`.


# %%
def make_windows(rng, n_sequences, length, n_in, n_out, vocab):
    """One-hot input windows (n, n_in, vocab) and integer targets (n, n_out)."""
    sequences = generate_sequences(rng, n_sequences, length, vocab)
    x_int, y = frame_pandas(sequences, n_in=n_in, n_out=n_out)
    return one_hot_encode(x_int, vocab), y


# %% [markdown]
# ## Build the model
#
# - The **encoder** is an LSTM without `return_sequences`: it reads all `n_in` steps and
#   returns only its output after the last one (its hidden state `h`), one vector of
#   `units` numbers per window. That vector is all the decoder will see: the encoder's
#   cell state stays inside the layer. Training must teach the encoder to keep the first
#   `n_out` integers in `h` while the later ones stream past, the ones read longest ago.
#   A fixed-size summary is what makes the output length free: 32 numbers are enough to
#   hold 2 integers out of 100.
# - `RepeatVector(n_out)` copies that vector `n_out` times, turning `(batch, units)` into
#   the `(batch, n_out, units)` sequence an LSTM layer takes as input.
# - The **decoder** is an LSTM with `return_sequences=True`: it runs `n_out` steps and
#   returns a vector at each, so the number of output steps is set by `RepeatVector`,
#   not by the input length.
# - A `Dense` softmax turns each decoder step into probabilities over the vocabulary. The
#   tutorial wraps it in `TimeDistributed`; a Keras 3 `Dense` applied to a 3-D tensor
#   already acts on every step with the same weights, and is faster (see `echo_full.py`;
#   `--time-distributed` builds the wrapped version).


# %%
def build_model(n_in, n_out, vocab, units, batch_size=None, stateful=False, time_distributed=False):
    """Encoder LSTM -> RepeatVector(n_out) -> decoder LSTM -> Dense softmax per step:
    (n_in, vocab) -> (n_out, vocab). A stateful model needs its batch size when built."""
    if stateful:
        inputs = keras.Input(batch_shape=(batch_size, n_in, vocab))
    else:
        inputs = keras.Input(shape=(n_in, vocab))
    # Encoder: only the last step's output, one summary vector of the whole window.
    summary = layers.LSTM(units, stateful=stateful, name="encoder")(inputs)
    # The same summary as the input of each of the n_out decoder steps.
    repeated = layers.RepeatVector(n_out)(summary)
    # Decoder: one output vector per output step.
    decoded = layers.LSTM(units, return_sequences=True, stateful=stateful, name="decoder")(repeated)
    # One softmax over the vocabulary at each output step, the same weights for every step.
    per_step = layers.Dense(vocab, activation="softmax")
    if time_distributed:
        per_step = layers.TimeDistributed(per_step)
    return keras.Model(inputs, per_step(decoded), name="echo_partial")


# %% [markdown]
# ## Train
#
# The tutorial runs 5000 `fit(epochs=1)` calls, one per new sequence, with a state reset
# after each. With batch 21, each sequence's 21 windows are exactly one batch, so here the
# tutorial recipe generates the 5000 sequences up front and makes one unshuffled `fit`
# call that resets the state after every batch: the same 5000 weight updates, without the
# Python overhead of 5000 calls (`benchmarks/original_echo_partial.py` times the loop).
#
# The fast recipe drops the state (each window holds everything the task needs), shuffles,
# and takes batches of 256 with a learning rate 30 times Adam's default: about 250 weight
# updates instead of 5000, on LSTMs of 32 units instead of 150. `common.training.fit_windows`
# makes either `fit` call (as in echo_full), times it and records the training curve.


# %% [markdown]
# ## Run it
#
# `main` reads the flags, trains, and evaluates on 100 fresh sequences from a separate
# random stream. *Sequence accuracy* counts windows whose `n_out` outputs are all right.
# Expect 99.5% or more (the tutorial recipe: about 99%); the summary also shows the
# accuracy of each output step, so you can see where the few misses fall.


# %%
def parse(argv=None):
    parser = make_parser("echo_partial.py", __doc__, epochs=None, batch_size=None,
                         helps={"epochs": "passes over the data (fast: 5); for --recipe tutorial, "
                                          "the number of training sequences (5000)",
                                "batch_size": "windows per update (fast: 256, tutorial: 21)"})
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="fast",
                        help="fast: this collection's recipe; tutorial: the original stateful one")
    parser.add_argument("--n-in", type=positive_int, default=5, help="input steps per window")
    parser.add_argument("--n-out", type=positive_int, default=2,
                        help="output steps: the first n-out integers of the window")
    parser.add_argument("--length", type=positive_int, default=25, help="integers per sequence")
    parser.add_argument("--vocab", type=positive_int, default=100, help="integers are 0..vocab-1")
    parser.add_argument("--units", type=positive_int, help="units of each LSTM (fast: 32, tutorial: 150)")
    parser.add_argument("--learning-rate", type=positive_float, help="Adam's (fast: 0.03, tutorial: 0.001)")
    parser.add_argument("--time-distributed", action="store_true",
                        help="wrap the Dense in TimeDistributed (same model, slower)")
    args = parse_args(parser, argv, quick_defaults={"epochs": 1})
    apply_recipe(args, RECIPES)
    if args.vocab < 2:
        parser.error(f"argument --vocab: must be at least 2, got {args.vocab}")
    if args.n_out > args.n_in:
        parser.error(f"argument --n-out: ({args.n_out}) must not exceed --n-in ({args.n_in})")
    if args.n_in > args.length:
        parser.error(f"argument --n-in: ({args.n_in}) must not exceed --length ({args.length})")
    if args.recipe == "tutorial":
        check_sequence_batches(parser, args, args.length - args.n_in + 1)
    return args


def main(argv=None) -> dict:
    args = parse(argv)
    seed_everything(args.seed)
    stateful = args.recipe == "tutorial"
    windows_per_sequence = args.length - args.n_in + 1
    n_train = args.epochs if stateful else args.sequences
    shape = (args.length, args.n_in, args.n_out, args.vocab)
    x, y = make_windows(make_rng(args.seed, TRAIN), n_train, *shape)
    x_test, y_test = make_windows(make_rng(args.seed, TEST), TEST_SEQUENCES, *shape)

    model = build_model(args.n_in, args.n_out, args.vocab, args.units, batch_size=args.batch_size,
                        stateful=stateful, time_distributed=args.time_distributed)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Training on {len(x)} windows of shape {x.shape[1:]} -> {y.shape[1:]} ({args.recipe} recipe)")
    resets_every = windows_per_sequence // args.batch_size  # batches per sequence (stateful)
    curve, loss, seconds = fit_windows(model, x, y, batch_size=args.batch_size, epochs=args.epochs,
                                       resets_every=resets_every, verbose=fit_verbosity(args.quiet))

    predicted = predict_classes(model, x_test, resets_every)
    scores = sequence_accuracy_report(y_test, predicted)
    metrics = {"script": "echo_partial", "backend": keras.backend.backend(), "seed": args.seed,
               "recipe": args.recipe, "epochs": args.epochs, "batch_size": args.batch_size,
               "units": args.units, "learning_rate": args.learning_rate, "length": args.length,
               "window": args.n_in, "n_in": args.n_in, "n_out": args.n_out, "vocab": args.vocab,
               "train_windows": len(x), "test_windows": len(x_test),
               "train_seconds": round(seconds, 3), "train_loss": loss, **scores}

    if args.examples:
        print(f"\nHeld-out examples (first {args.examples}):")
        print(format_examples(y_test, predicted, args.examples, inputs=x_test.argmax(-1)))
    print_summary(f"echo_partial ({args.recipe} recipe, {metrics['backend']})", {
        "training windows": f"{len(x)} ({n_train} sequences)",
        "training time": f"{seconds:.1f} s",
        "held-out element accuracy": percent(scores["element_accuracy"]),
        "held-out sequence accuracy": percent(scores["sequence_accuracy"]) + f" of {len(x_test)} windows",
        "per output step": ", ".join(percent(a) for a in scores["per_position_accuracy"]),
    })
    write_outputs(args, metrics, model, lambda path: plot_training_curves(
        curve, path, f"echo_partial: LSTM({args.units}) encoder-decoder, {args.recipe} recipe",
        held_out=scores["element_accuracy"]))
    return metrics


if __name__ == "__main__":
    main()
