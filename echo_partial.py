"""
Title: Echo the start of a sequence with an encoder-decoder LSTM
Description: An encoder LSTM reads a window of 5 random integers, one-hot encoded, and a
decoder LSTM writes back only the first 2 of them: [86, 81, 88, 1, 23] -> [86, 81].

You will learn when slicing a many-to-many LSTM's output is enough and when it is not, how
an encoder squeezes the whole window into one vector, how `RepeatVector` hands that vector
to every output step of a decoder, how a recipe can grow with the shape and stop at its
target, and why the original recipe's stateful LSTM changes nothing.
The default run trains in under 20 s on 2 CPU cores (CI checks it); `--recipe tutorial`
makes about 15 times as many weight updates, with a larger LSTM.
"""

# %% [markdown]
# ## Introduction
#
# In `echo_full.py` the LSTM wrote one output for every input step. Here the input is a
# window of 5 integers and the output is its first 2: the lengths differ. An LSTM with
# `return_sequences=True` emits one vector per *input* step, but nothing stops us from
# slicing its output: `outputs[:, :2]` keeps the first 2 steps, and since `echo_full.py`'s
# model gets all 5 steps right, its first 2 already answer this task. Slicing only works
# because output step *t* needs nothing after input step *t*: the output at step 1 has
# read only the first integer. For an output that depends on the whole window (the last
# 2 reversed, a sum, a translation) or is longer than the input, it cannot work. The
# general answer, and the lesson here, is the *encoder-decoder*: one LSTM reads the whole
# input into a vector, a second one writes an output of whatever length we choose.
#
# The data are the same as before: windows cut from random sequences of 25 integers in
# 0..99 (21 windows per sequence), judged on fresh sequences the model has never seen.

# %% [markdown]
# ## Configuration
#
# Two recipes. `tutorial` is the original: stateful LSTM(150) encoder and decoder, batch
# 21 (one whole sequence per update), 5000 sequences seen once. `fast` is this
# collection's: stateless LSTMs, shuffled windows, batches of 128, a large learning rate.
#
# How the fast recipe holds beyond 5 -> 2: the encoder's one vector must carry `n_out`
# integers past the `n_in - n_out` that follow them, so `fast_recipe` gives it 24 units
# per integer to keep and 200 + 3 x vocab training sequences per integer to keep (500 at
# least). Those sizes come from probes at 8 -> 4 and 6 -> 3, one seed each and not run to
# the rule of `docs/experiments.md`, so they do not show that less would fail;
# `tests/test_echo_partial.py`'s sweep checks that this much reaches the target over the
# checked range.
# Then it trains until a *validation* split (new sequences, not the test set) reaches
# the target, so a harder shape simply takes more passes, up to `epochs`: 20, or fewer
# where a pass costs so much that 20 would exceed the work budget `WORK_BUDGET` (the
# shapes beyond the checked range), so a run that cannot make it says so in time.
#
# `SETTINGS` holds every setting with its default and the values it accepts: `python
# echo_partial.py --help` lists them as flags (`n_in` is `--n-in 8`); in a notebook, edit
# the defaults here. A setting left at None takes its recipe's value (`finish`).

# %%
from common.cli import check_memory, print_settings, read_settings, setting

TARGET = 0.995  # held-out (test) sequence accuracy a run must reach
# Training stops a little above it: 2100 windows measure an accuracy near 99.5% only to
# about +-0.15% (one standard error, more since windows overlap), the test set as well.
VALIDATION_TARGET = 0.997
TUTORIAL = {"units": 150, "epochs": 1, "batch_size": 21, "learning_rate": 0.001, "sequences": 5000}
CHECKED = {"n_in": (2, 8), "vocab": (10, 100)}  # and n_out up to half of n_in, rounded up
HELD_OUT_WINDOWS = 2_100  # each of the validation and test sets: 100 sequences at the defaults


WORK_BUDGET = 2e11  # multiply-adds of training: the most a shape may ask for


def fast_recipe(n_in, n_out, vocab, length, units=None, sequences=None):
    """The fast recipe for one shape: capacity and budget grow with what must be remembered.
    `units` and `sequences` given as settings take the place of the recipe's."""
    units = units or max(32, 24 * n_out)  # room in the encoder's vector for n_out integers
    # Enough windows to learn, not memorise; and at least 500 sequences, so that a pass
    # holds enough weight updates (8 -> 1 with vocab 10 got stuck near 90% on 230).
    sequences = sequences or max(500, n_out * (200 + 3 * vocab))
    # Roughly the multiply-adds of one pass: windows x steps x the LSTM's weights per unit.
    work = sequences * (length - n_in + 1) * (n_in + n_out) * units * (units + vocab)
    return {"units": units, "sequences": sequences,
            "epochs": max(2, min(20, int(WORK_BUDGET // work))),  # the most passes
            "batch_size": 128, "learning_rate": 0.02}


DEFAULT = fast_recipe(5, 2, 100, 25)  # for --help
SETTINGS = {
    "recipe": setting("fast", "fast: this collection's recipe; tutorial: the original stateful one",
                      choices=("fast", "tutorial")),
    "n_in": setting(5, "input steps per window", at_least=1),
    "n_out": setting(2, "output steps: the first n-out integers of the window", at_least=1),
    "length": setting(25, "integers per sequence", at_least=1, at_most=100_000),
    "vocab": setting(100, "integers are 0..vocab-1", at_least=2, at_most=100_000),
    "sequences": setting(None, f"training sequences (fast: grows with the shape, "
                               f"{DEFAULT['sequences']} at 5 -> 2; tutorial: {TUTORIAL['sequences']})",
                         kind=int, at_least=1),
    "units": setting(None, f"units of each LSTM (fast: grows with --n-out, {DEFAULT['units']} at "
                           f"5 -> 2; tutorial: {TUTORIAL['units']})", kind=int, at_least=1,
                     at_most=4096),
    "learning_rate": setting(None, f"Adam's (fast: {DEFAULT['learning_rate']} at 5 -> 2, "
                                   f"tutorial: {TUTORIAL['learning_rate']})", kind=float, above=0),
    "time_distributed": setting(False, "wrap the Dense in TimeDistributed (the same model)"),
    "epochs": setting(None, f"most passes over the training windows; the fast recipe stops "
                            f"earlier when the validation split reaches {VALIDATION_TARGET:.1%} "
                            f"(fast: {DEFAULT['epochs']}, fewer for shapes whose passes cost more; "
                            f"tutorial: {TUTORIAL['epochs']})", at_least=1),
    "batch_size": setting(None, f"windows per weight update (fast: {DEFAULT['batch_size']}, "
                                f"tutorial: {TUTORIAL['batch_size']})", at_least=1),
}
EPILOG = (f"The fast recipe reached {TARGET:.1%} held-out sequence accuracy at every point "
          f"we tried of --n-in {CHECKED['n_in'][0]}..{CHECKED['n_in'][1]} with --n-out up to half "
          f"of --n-in (rounded up) and --vocab {CHECKED['vocab'][0]}..{CHECKED['vocab'][1]} "
          f"(tests/test_echo_partial.py's sweep); outside that it warns and still runs, and every "
          f"run says whether it reached the target.")


def finish(args, parser):
    """Check what spans several settings; fill the ones left at None from the recipe."""
    if args.n_out > args.n_in:
        parser.error(f"argument --n-out: ({args.n_out}) must not exceed --n-in ({args.n_in})")
    if args.n_in > args.length:
        parser.error(f"argument --n-in: ({args.n_in}) must not exceed --length ({args.length})")
    recipe = TUTORIAL if args.recipe == "tutorial" else fast_recipe(
        args.n_in, args.n_out, args.vocab, args.length, args.units, args.sequences)
    for name, value in recipe.items():  # the recipe fills the settings left at None
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    args.windows_per_sequence = args.length - args.n_in + 1
    if args.recipe == "tutorial" and args.windows_per_sequence % args.batch_size:
        parser.error(f"argument --batch-size: with --recipe tutorial it must divide the "
                     f"{args.windows_per_sequence} windows of a sequence, got {args.batch_size}")
    held_out = -(-HELD_OUT_WINDOWS // args.windows_per_sequence)
    windows = (args.sequences + 2 * held_out) * args.windows_per_sequence
    check_memory(parser, "--sequences/--length/--n-in/--vocab", windows * args.n_in * args.vocab)


args = read_settings("echo_partial.py", __doc__, SETTINGS, finish, epilog=EPILOG,
                     quick={"epochs": 1, "sequences": 100})  # in a notebook: the defaults above
print_settings(args, skip=("windows_per_sequence",))

# %% [markdown]
# ## Setup

# %%
import math
import time

import common  # picks the backend; as Keras loads, quiets TensorFlow's notes and fixes its bugs
import keras
import numpy as np
from keras import layers, ops

from common.cli import show_figure, show_table, warn_outside_range, write_outputs
from common.data import frame_pandas
from common.plots import plot_training_curves
from common.training import fit_verbosity

keras.utils.set_random_seed(args.seed)  # Python, NumPy and Keras: weights and shuffling
if keras.backend.backend() == "tensorflow":  # and TensorFlow's ops in a fixed order
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
VERBOSE = fit_verbosity(args.quiet)  # Keras' progress bar in a terminal, a line per pass in a log
if args.recipe == "fast":
    outside = warn_outside_range(CHECKED, args)
    if not outside and args.n_out > -(-args.n_in // 2):
        print(f"warning: this recipe was checked for --n-out up to half of --n-in (rounded up); "
              f"--n-out {args.n_out} with --n-in {args.n_in} is beyond, so it may not reach its "
              f"target (it still runs, and says whether it did)", flush=True)

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
# Inputs are one-hot (row `v` of the identity matrix), shape `(n_in, vocab)`; targets stay
# integers, shape `(n_out,)`, for `sparse_categorical_crossentropy`. Training, validation
# and test windows come from separate random streams of the seed, so no held-out sequence
# was seen in training.


# %%
def make_windows(rng, n_sequences):
    """Integer input windows (n, n_in) and their targets, the first n_out of each (n, n_out)."""
    sequences = rng.integers(0, args.vocab, size=(n_sequences, args.length))
    return frame_pandas(sequences, n_in=args.n_in, n_out=args.n_out)


held_out = -(-HELD_OUT_WINDOWS // args.windows_per_sequence)  # sequences per held-out set
(x_train_int, y_train), (x_val_int, y_val), (x_test_int, y_test) = (
    make_windows(np.random.default_rng([args.seed, stream]), n)
    for stream, n in [(0, args.sequences), (1, held_out), (2, held_out)])
x_train, x_val, x_test = (np.eye(args.vocab, dtype="float32")[x]
                          for x in (x_train_int, x_val_int, x_test_int))
print(f"x_train {x_train.shape}, y_train {y_train.shape}; validation {len(x_val)} and test "
      f"{len(x_test)} windows from new sequences")
print(f"one window: {x_train_int[0].tolist()} -> {y_train[0].tolist()}")

# %% [markdown]
# ## Build the model
#
# - The **encoder** is an LSTM without `return_sequences`: it reads all `n_in` steps and
#   returns only its output after the last one (its hidden state `h`), one vector of
#   `units` numbers per window. That vector is all the decoder will see: the encoder's
#   cell state stays inside the layer. Training must teach the encoder to keep the first
#   `n_out` integers in `h` while the later ones stream past, the ones read longest ago.
#   A fixed-size summary is what makes the output length free.
# - `RepeatVector(n_out)` copies that vector `n_out` times, turning `(batch, units)` into
#   the `(batch, n_out, units)` sequence an LSTM layer takes as input.
# - The **decoder** is an LSTM with `return_sequences=True`: it runs `n_out` steps and
#   returns a vector at each, so the number of output steps is set by `RepeatVector`,
#   not by the input length.
# - A `Dense` softmax turns each decoder step into probabilities over the vocabulary. The
#   tutorial wraps it in `TimeDistributed`; a `Dense` layer given a 3-D tensor already acts
#   on every step with the same weights (so since Keras 2.0), the same model
#   (`echo_full.py` compares the two); `--time-distributed` builds the wrapped one.
#
# A stateful model (the tutorial recipe) must know its batch size when built:
# `keras.Input(batch_shape=...)`. Keras' `accuracy` counts single output integers; the
# metric `exact_match_accuracy` counts windows whose `n_out` outputs are all right.


# %%
def build_model(n_in, n_out, vocab, units, batch_size=None, stateful=False, time_distributed=False):
    """Encoder LSTM -> RepeatVector(n_out) -> decoder LSTM -> Dense softmax per step:
    (n_in, vocab) -> (n_out, vocab)."""
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


def exact_match_accuracy(y_true, y_pred):
    """Keras metric: 1 for a window whose every output step is the right integer, else 0."""
    right = ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), ops.cast(y_true, "int32"))
    return ops.cast(ops.all(right, axis=-1), "float32")


stateful = args.recipe == "tutorial"  # the original recipe's LSTMs carry their state
model = build_model(args.n_in, args.n_out, args.vocab, args.units, batch_size=args.batch_size,
                    stateful=stateful, time_distributed=args.time_distributed)
model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
              loss="sparse_categorical_crossentropy", metrics=["accuracy", exact_match_accuracy])
model.summary()

# %% [markdown]
# ## Train
#
# The fast recipe shuffles the windows (each holds everything the task needs) and makes
# passes over them until the validation split reaches 99.7% sequence accuracy, a margin
# over the 99.5% the test set must show (`StopAtTarget` checks after every pass), or
# `--epochs` passes are spent. Keras' own `TerminateOnNaN` stops a run whose loss became
# NaN, and `UpdateCurve` keeps each weight update's loss and accuracy for the plot.
#
# The tutorial loops over 5000 new sequences with one `fit(epochs=1)` call each and
# `model.reset_states()` after each (Keras 3: `layer.reset_state()` on each stateful
# layer). With batch 21, a sequence's 21 windows are exactly one batch. This collection
# chooses to generate the 5000 sequences up front and make one unshuffled `fit` call over
# them, with `ResetAtSequenceEnds(1)` zeroing the state after every batch: the same 5000
# weight updates, without the overhead of 5000 `fit` calls. (Further down we show that
# this state is never used.)


# %%
class ResetAtSequenceEnds(keras.callbacks.Callback):
    """Zero the stateful layers' state after every `batches_per_sequence` batches (where a
    sequence ends; None: never within a pass), and before every pass and every evaluate or
    predict run."""

    def __init__(self, batches_per_sequence=None):
        super().__init__()
        self.batches_per_sequence = batches_per_sequence

    def reset(self, *_):
        for layer in [layer for layer in self.model.layers if getattr(layer, "stateful", False)]:
            layer.reset_state()

    def on_train_batch_end(self, batch, logs=None):
        if self.batches_per_sequence and (batch + 1) % self.batches_per_sequence == 0:
            self.reset()  # this batch ended a sequence

    on_epoch_begin = on_test_begin = on_predict_begin = reset
    on_test_batch_end = on_predict_batch_end = on_train_batch_end


class StopAtTarget(keras.callbacks.Callback):
    """Stop training after the first pass whose logs[monitor] reaches target."""

    def __init__(self, monitor, target):
        super().__init__()
        self.monitor, self.target = monitor, target

    def on_epoch_end(self, epoch, logs=None):
        if logs[self.monitor] >= self.target:
            self.model.stop_training = True


class UpdateCurve(keras.callbacks.Callback):
    """The loss and accuracy of every weight update. Keras logs their mean over the pass so
    far, weighted by batch size; undoing that mean gives each batch's own value."""

    def __init__(self, samples, batch_size):
        super().__init__()
        self.samples, self.batch_size = samples, batch_size
        self.history, self.means = {"loss": [], "accuracy": []}, {}

    def on_train_batch_end(self, batch, logs=None):
        seen, before = (min(k * self.batch_size, self.samples) for k in (batch + 1, batch))
        for name, values in self.history.items():
            earlier = before * self.means[name] if batch else 0.0
            values.append((seen * logs[name] - earlier) / (seen - before))
            self.means[name] = logs[name]


resets = [ResetAtSequenceEnds(args.windows_per_sequence // args.batch_size)] if stateful else []
curve = UpdateCurve(len(x_train), args.batch_size)
start = time.perf_counter()
history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                    shuffle=not stateful,  # stateful: batch k+1 continues batch k
                    validation_data=(x_val, y_val),
                    callbacks=[StopAtTarget("val_exact_match_accuracy", VALIDATION_TARGET),
                               keras.callbacks.TerminateOnNaN(), curve, *resets],
                    verbose=VERBOSE)
train_seconds = time.perf_counter() - start
print(f"{len(history.history['loss'])} pass(es), {len(curve.history['loss'])} weight updates; "
      f"validation exact matches: {history.history['val_exact_match_accuracy'][-1]:.2%}")

# %% [markdown]
# ## Evaluate
#
# The test set: new sequences from their own random stream. A stateful model predicts with
# the batch size it was built with, its state reset as in training. *Sequence accuracy*
# counts windows whose `n_out` outputs are all right; the summary also shows the accuracy
# of each output step, so you can see where the few misses fall.

# %%
probabilities = model.predict(x_test, batch_size=args.batch_size if stateful else 1024, verbose=0,
                              callbacks=resets)
predicted = probabilities.argmax(axis=-1)
for window, target, guess in zip(x_test_int[:args.examples], y_test, predicted):
    print(f"Input {window.tolist()}  Expected {target.tolist()}  "
          f"{'☑' if (target == guess).all() else '☒'} Predicted {guess.tolist()}")

# %%
losses, validation = history.history["loss"], history.history["val_exact_match_accuracy"]
epochs_run, diverged = len(losses), not math.isfinite(losses[-1])
reached = not diverged and validation[-1] >= VALIDATION_TARGET
if diverged:
    print(f"ERROR: the loss became {losses[-1]} in epoch {epochs_run}, so training stopped and "
          f"the model is not usable: lower --learning-rate")
elif reached:
    print(f"Reached {VALIDATION_TARGET:.2%} validation sequence accuracy after {epochs_run} "
          f"epoch(s) ({train_seconds:.1f} s).")
else:
    hint = "raise --sequences (the tutorial's budget)" if stateful else "raise --epochs (or --units)"
    print(f"WARNING: did not reach {VALIDATION_TARGET:.2%} validation sequence accuracy in "
          f"{epochs_run} epochs (best {max(validation):.2%}, {train_seconds:.1f} s): {hint}")
right = predicted == y_test
scores = {"element_accuracy": float(right.mean()),
          "sequence_accuracy": float(right.all(axis=1).mean()),
          "per_position_accuracy": right.mean(axis=0).tolist()}
rows = {"training windows": f"{len(x_train)} ({args.sequences} sequences)",
        "training": f"{train_seconds:.1f} s, {epochs_run} epoch(s), " + (
            "the loss became NaN" if diverged else
            f"{'reached' if reached else 'did NOT reach'} {VALIDATION_TARGET:.2%} on validation"),
        "held-out element accuracy": f"{scores['element_accuracy']:.2%}",
        "held-out sequence accuracy": f"{scores['sequence_accuracy']:.2%} of {len(x_test)} windows",
        "per output step": ", ".join(f"{a:.2%}" for a in scores["per_position_accuracy"])}
title = f"echo_partial ({args.recipe} recipe, {args.n_in} -> {args.n_out}, {keras.backend.backend()})"
show_table(rows, title)
metrics = {"script": "echo_partial", "backend": keras.backend.backend(), "seed": args.seed,
           "headline": f"{scores['sequence_accuracy']:.2%} of {len(x_test)} held-out windows: "
                       f"the first {args.n_out} of {args.n_in} integers right after {epochs_run} "
                       f"pass{'es' * (epochs_run != 1)} over {len(x_train)} windows",
           "recipe": args.recipe, "n_in": args.n_in, "n_out": args.n_out, "vocab": args.vocab,
           "length": args.length, "units": args.units, "epochs": args.epochs,
           "batch_size": args.batch_size, "learning_rate": args.learning_rate,
           "sequences": args.sequences, "train_windows": len(x_train), "test_windows": len(x_test),
           "parameters": model.count_params(), "train_seconds": round(train_seconds, 3),
           "reached_target": reached, "diverged": diverged, "epochs_run": epochs_run,
           "train_loss": float(losses[-1]), **scores}

# %% [markdown]
# ## Plot

# %%
figure = plot_training_curves(curve.history, f"echo_partial: LSTM({args.units}) encoder-decoder, "
                              f"{args.n_in} -> {args.n_out}, {args.recipe} recipe",
                              held_out=scores["element_accuracy"])
show_figure(figure)

# %% [markdown]
# ## What the tutorial's state does: nothing
#
# The tutorial's LSTMs are `stateful=True`: the state at the end of a batch becomes the
# starting state of sample *i* of the next batch. Two things make that useless here.
# With batch 21 each sequence's 21 windows are one batch and the state is reset after
# every batch, so no state is ever carried to a next batch: every batch starts from
# zeros, exactly like a stateless LSTM. And with a smaller batch the state would carry
# the wrong past: the samples are overlapping windows of one sequence, so with batch 7
# sample *i* of the next batch starts 7 integers after sample *i* of this one, while the
# window that continues it would start 5 later (a stateful layer needs sample *i* of batch
# *k + 1* to be the continuation of sample *i* of batch *k*).
#
# The check below trains three copies of the tutorial model from the same weights on the
# same sequences, in the same order: stateful with the tutorial's reset after every
# batch, stateless, and stateful *without* resets (the state of one sequence carried into
# the next). If the first two agree and the third does not, the reset recipe is a
# stateless one and the comparison is able to see a carried state.

# %%
STATE_CHECK_SEQUENCES = 20  # weight updates per copy: enough to see a carried state


def train_copy(start_weights, stateful, resets_every):
    """One copy of the tutorial model, trained from start_weights; its weights afterwards."""
    copy = build_model(args.n_in, args.n_out, args.vocab, TUTORIAL["units"],
                       batch_size=args.windows_per_sequence, stateful=stateful)
    copy.compile(optimizer=keras.optimizers.Adam(TUTORIAL["learning_rate"]),
                 loss="sparse_categorical_crossentropy")
    copy.set_weights(start_weights)
    copy.fit(x_check, y_check, batch_size=args.windows_per_sequence, epochs=1, shuffle=False,
             callbacks=[ResetAtSequenceEnds(resets_every)] if stateful else [], verbose=0)
    return copy.get_weights()


x_check, y_check = x_train[:STATE_CHECK_SEQUENCES * args.windows_per_sequence], y_train[
    :STATE_CHECK_SEQUENCES * args.windows_per_sequence]
initial = build_model(args.n_in, args.n_out, args.vocab, TUTORIAL["units"]).get_weights()
after = {name: train_copy(initial, stateful_copy, every) for name, stateful_copy, every in [
    ("reset every batch", True, 1), ("stateless", False, None), ("state carried", True, None)]}


def largest_difference(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(a, b))


stateless = after["stateless"]
state_check = {"sequences": STATE_CHECK_SEQUENCES,
               "reset_vs_stateless": largest_difference(after["reset every batch"], stateless),
               "carried_vs_stateless": largest_difference(after["state carried"], stateless),
               "moved": largest_difference(stateless, initial)}
metrics["state_check"] = state_check
print(f"After {STATE_CHECK_SEQUENCES} updates from the same weights, the largest weight "
      f"difference:\n  stateful, reset every batch (the tutorial) vs stateless: "
      f"{state_check['reset_vs_stateless']:.1e}\n  stateful, state carried between sequences "
      f"vs stateless: {state_check['carried_vs_stateless']:.1e}\n"
      f"  (the weights themselves moved by up to {state_check['moved']:.1e})")

# %%
# What --save writes: the trained layers without the compile() settings, whose metric is
# this script's function (keras.saving.load_model could not find it in another program).
trained = keras.Model(model.inputs, model.outputs, name="echo_partial")

# %%
write_outputs(args, metrics, trained, figure)

# %% [markdown]
# ## What we learned
#
# From the default run (seed 7, TensorFlow, 2 CPU cores) unless said otherwise:
#
# - An encoder LSTM that returns only its last output, `RepeatVector(n_out)` and a decoder
#   with `return_sequences=True` turn a window of 5 integers into its first 2: 99.76% of
#   2100 held-out windows right after 2 passes over 21,000 windows (LSTM(48), batch 128).
# - The encoder's vector must carry every integer to echo, so the recipe grows with
#   `n_out` (24 units and 200 + 3 x vocab sequences per integer, 500 at least) and stops
#   when the validation split reaches 99.7%; `tests/test_echo_partial.py` sweeps the
#   checked range.
# - The tutorial's stateful LSTM does nothing here: with one sequence per batch and a
#   reset after every batch, it trains to exactly the same weights as a stateless one
#   (largest difference 0.0 after 20 updates; 0.024 once the state is carried).
# - The tutorial recipe itself, all 5000 sequences as one `fit` call (`--recipe tutorial`):
#   its one pass, 5000 weight updates of LSTM(150), reached 99.10% held-out sequence
#   accuracy, just short of the target. One pass is the original's fixed budget, not a
#   plateau, so this is no verdict on that recipe against the fast one.

# %% [markdown]
# ## Try next
#
# ```bash
# python echo_partial.py --n-in 8 --n-out 4          # the hardest corner of the checked range
# python echo_partial.py --n-in 5 --n-out 5          # beyond it: says whether it got there
# python echo_partial.py --recipe tutorial           # the original stateful recipe, one fit call
# python echo_partial.py --vocab 10 --n-in 8 --n-out 1   # a long window, little to remember
# ```
