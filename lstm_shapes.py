"""
Title: How a Keras LSTM sees data: a tour of shapes
Description: Tiny untrained LSTMs fed random numbers, each printing the shapes that go in and
come out: (samples, timesteps, features) -> (samples, units) or (samples, timesteps, units).

You will learn what the three axes of an LSTM's input mean and what `units` changes, how
`return_sequences` gives many-to-one or many-to-many, two ways to get one-to-many, how an
encoder-decoder outputs a different number of steps than it reads, what `stateful=True`
really keeps (checked numerically), what `return_state` and `initial_state` pass along,
and why a Bidirectional LSTM returns twice the units. Nothing is trained.
Run time: about 10 s on 2 CPU cores, most of it importing TensorFlow.
"""

# %% [markdown]
# ## Introduction
#
# Picture 4 tanks, each measured 5 times (pressure and temperature). Keras wants that as
# one array of shape `(samples, timesteps, features)` = `(4, 5, 2)`: a sample is one
# independent sequence, a time step is one reading, a feature is one number of a reading.
# Every cell below builds a tiny LSTM with random weights, runs it on random numbers of that
# shape, and checks the shape of every tensor on the way. The printed shapes are the
# lesson; the numbers inside are meaningless, since nothing is trained.

# %% [markdown]
# ## Setup

# %%
import common  # first: it quiets TensorFlow's start-up notes before Keras loads it
import time

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from common.cli import int_at_least, make_parser, parse_args, positive_int, print_summary
from common.cli import write_outputs
from common.data import TRAIN, make_rng
from common.plots import DPI, SIZE
from common.training import reset_model_state, seed_everything

# Distinct sizes, so every number in a printed shape says which axis it is.
BATCH, TIMESTEPS, FEATURES, UNITS, OUT_STEPS, CHUNKS = 4, 5, 2, 8, 3, 4


def random_input(shapes, rng, *shape, name="input"):
    """Random float32 numbers of ``shape`` (stand-ins for measurements), recorded under ``name``."""
    shapes[name] = shape
    return rng.random(shape, dtype=np.float32)


def check(shapes, name, tensor, expected):
    """Check that ``tensor`` has the ``expected`` shape and record it under ``name``."""
    shape = tuple(tensor.shape)
    assert shape == expected, f"{name}: expected shape {expected}, got {shape}"
    shapes[name] = shape
    return tensor


def largest_difference(a, b):
    return float(np.max(np.abs(keras.ops.convert_to_numpy(a) - keras.ops.convert_to_numpy(b))))


# %% [markdown]
# ## The input tensor, and what `units` changes
#
# A Keras 3 layer can be called on an array directly, which is handy for looking at shapes.
# `LSTM(units)` turns each sequence into one vector of `units` numbers. `units` is the size
# of the memory; it is free, not tied to the number of features. Look at the weights:
# the kernel multiplies the features, the recurrent kernel the previous output, and the
# `4 * units` columns are the four gates. No weight mentions the number of time steps, so the
# same layer reads a sequence of any length.


# %%
def input_and_units(rng, batch, timesteps, features, units):
    shapes = {}
    lstm = layers.LSTM(units)
    x = random_input(shapes, rng, batch, timesteps, features)
    check(shapes, "output", lstm(x), (batch, units))
    kernel, recurrent_kernel, bias = lstm.weights  # variables: their shapes, no values needed
    check(shapes, "kernel", kernel, (features, 4 * units))
    check(shapes, "recurrent_kernel", recurrent_kernel, (units, 4 * units))
    check(shapes, "bias", bias, (4 * units,))
    longer = random_input(shapes, rng, batch, 3 * timesteps, features, name="longer_input")
    check(shapes, "longer_output", lstm(longer), (batch, units))
    return {"input_and_units": shapes}


# %% [markdown]
# ## Many-to-one and many-to-many
#
# Inside, an LSTM always computes one output per step. `return_sequences=False` (the
# default) keeps only the last one, shape `(samples, units)`: many-to-one, for one answer
# per sequence, such as tomorrow's price. `return_sequences=True` keeps them all, shape
# `(samples, timesteps, units)`: many-to-many, one answer per step. A `Dense` layer given
# that 3-D tensor applies the same weights to every step. `TimeDistributed(Dense)`, which
# older tutorials use, computes exactly the same numbers (checked below) with a loop over
# the steps, so it is slower.


# %%
def many_to_one(rng, batch, timesteps, features, units):
    shapes = {}
    x = random_input(shapes, rng, batch, timesteps, features)
    last = check(shapes, "lstm", layers.LSTM(units)(x), (batch, units))
    check(shapes, "output", layers.Dense(1)(last), (batch, 1))  # one number per sequence
    return {"many_to_one": shapes}


def many_to_many(rng, batch, timesteps, features, units):
    shapes = {}
    x = random_input(shapes, rng, batch, timesteps, features)
    steps = check(shapes, "lstm", layers.LSTM(units, return_sequences=True)(x), (batch, timesteps, units))
    dense = layers.Dense(features)
    per_step = check(shapes, "output", dense(steps), (batch, timesteps, features))
    wrapped = layers.TimeDistributed(dense)(steps)  # the same Dense, so the same weights
    shapes["time_distributed_difference"] = largest_difference(per_step, wrapped)
    assert shapes["time_distributed_difference"] < 1e-5
    return {"many_to_many": shapes}


# %% [markdown]
# ## One-to-many, two ways
#
# An LSTM needs an input at every step it runs, so one vector cannot make a sequence by
# itself. The simple way: `RepeatVector(n)` copies the vector to `n` steps.
#
# The other way feeds each prediction back as the next input, one step per call. A
# `stateful=True` layer keeps its memory between calls, so each call continues the same
# sequence. The model's output must have as many features as its input (here a Dense
# layer ensures it). Starting from several known steps instead of one is forecasting: run the
# whole known part once (the memory now holds it), then feed back its last prediction.
# We call the model directly, `model(step)`: on the JAX backend `predict` does not carry
# the state from one call to the next.


# %%
def one_to_many_repeat(rng, batch, timesteps, features, units, out_steps):
    shapes = {}
    x = random_input(shapes, rng, batch, features)
    repeated = check(shapes, "repeated", layers.RepeatVector(out_steps)(x), (batch, out_steps, features))
    lstm = layers.LSTM(units, return_sequences=True)
    check(shapes, "output", lstm(repeated), (batch, out_steps, units))
    return {"one_to_many_repeat": shapes}


def build_stateful(batch, features, units, head=None):
    """LSTM(return_sequences, stateful) [-> head]. The state holds one row per sample, so the
    batch size is part of the model: `keras.Input(batch_shape=...)`. `None` time steps
    accepts sequences of any length."""
    inputs = keras.Input(batch_shape=(batch, None, features))
    outputs = layers.LSTM(units, return_sequences=True, stateful=True)(inputs)
    return keras.Model(inputs, head(outputs) if head else outputs)


def feed_back(model, step, out_steps):
    """Call ``model`` ``out_steps`` times, each time on its previous output; a list of steps."""
    outputs = []
    for _ in range(out_steps):
        step = model(step)
        outputs.append(step)
    return outputs


def one_to_many_feedback(rng, batch, timesteps, features, units, out_steps):
    shapes, forecast = {}, {}
    model = build_stateful(batch, features, units, head=layers.Dense(features))
    reset_model_state(model)  # a new sequence starts from an empty memory
    first = random_input(shapes, rng, batch, 1, features)
    check(shapes, "step", model(first), (batch, 1, features))
    reset_model_state(model)
    generated = keras.ops.concatenate(feed_back(model, first, out_steps), axis=1)
    check(shapes, "output", generated, (batch, out_steps, features))
    reset_model_state(model)
    known = random_input(forecast, rng, batch, timesteps, features)
    primed = check(forecast, "primed", model(known), (batch, timesteps, features))
    # primed[:, -1:] already predicts the first new step; feed it back for the rest.
    next_step = primed[:, -1:]
    future = keras.ops.concatenate([next_step, *feed_back(model, next_step, out_steps - 1)], axis=1)
    check(forecast, "output", future, (batch, out_steps, features))
    reset_model_state(model)
    return {"one_to_many_feedback": shapes, "forecast_feedback": forecast}


# %% [markdown]
# ## Many-to-many with different lengths: encoder, RepeatVector, decoder
#
# To read 5 steps and write 2 (echo_partial.py echoes the first 2 of 5 one-hot integers:
# `(21, 5, 100) -> (21, 2, 100)`), an encoder LSTM squeezes the input into one vector,
# `RepeatVector` makes one copy per output step, and a decoder LSTM with
# `return_sequences=True` unrolls them into the output sequence.


# %%
def build_encoder_decoder(timesteps, features, units, out_steps):
    return keras.Sequential([
        keras.Input(shape=(timesteps, features)),
        layers.LSTM(units),                           # encoder: the whole input in one vector
        layers.RepeatVector(out_steps),               # one copy per output step
        layers.LSTM(units, return_sequences=True),    # decoder: one output per step
        layers.Dense(features, activation="softmax"),  # one class per output step
    ], name="encoder_decoder")


def different_lengths(rng, batch, timesteps, features, units, out_steps):
    shapes = {}
    model = build_encoder_decoder(timesteps, features, units, out_steps)
    x = random_input(shapes, rng, batch, timesteps, features)
    expected = [(batch, units), (batch, out_steps, units), (batch, out_steps, units),
                (batch, out_steps, features)]
    for layer, name, shape in zip(model.layers, ("encoded", "repeated", "decoded", "output"), expected):
        x = check(shapes, name, layer(x), shape)
    return {"encoder_decoder": shapes}


# %% [markdown]
# ## Stateful layers: one long sequence in consecutive batches
#
# A stateful LSTM starts each batch from the memory the previous batch left, so a long
# sequence cut into consecutive pieces gives the same outputs as the whole sequence at once.
# Below, one 20-step sequence is fed whole, then as 4 batches of 5 steps: the largest
# difference is 0, up to float rounding. `reset_state()` empties the memory: resetting
# before every piece treats each piece as a new sequence, and the outputs change. Row `i` of
# every batch continues row `i` of the previous one, which is why the batch size is fixed
# (the state has shape `(batch, units)`), why training data must not be shuffled, and why
# the model is built with `keras.Input(batch_shape=...)`.


# %%
def run(model, x, reset=False):
    """``model(x)`` as a numpy array; ``reset=True`` empties the memory first."""
    if reset:
        reset_model_state(model)
    return keras.ops.convert_to_numpy(model(x))


def stateful_batches(rng, batch, timesteps, features, units, chunks):
    shapes = {}
    model = build_stateful(batch, features, units)
    lstm = model.layers[-1]
    steps = timesteps * chunks
    sequence = random_input(shapes, rng, batch, steps, features)
    whole = check(shapes, "output", run(model, sequence, reset=True), (batch, steps, units))
    pieces = np.split(sequence, chunks, axis=1)
    check(shapes, "batch", pieces[0], (batch, timesteps, features))
    reset_model_state(model)
    in_batches = np.concatenate([run(model, piece) for piece in pieces], axis=1)
    for i, state in enumerate(lstm.states):  # the hidden and the cell state
        check(shapes, f"state_{i}", state, (batch, units))
    restarted = np.concatenate([run(model, piece, reset=True) for piece in pieces], axis=1)
    reset_model_state(model)
    shapes["max_abs_difference"] = largest_difference(whole, in_batches)
    shapes["reset_difference"] = largest_difference(whole, restarted)
    assert shapes["max_abs_difference"] < 1e-5, shapes["max_abs_difference"]
    # The first unit of the first sample over time, for the plot and the printed table.
    shapes["series"] = {name: [round(float(v), 6) for v in values[0, :, 0]] for name, values in
                        (("whole", whole), ("in_batches", in_batches), ("reset_each_batch", restarted))}
    return {"stateful": shapes}


# %% [markdown]
# ## `return_state=True`: the hidden state and the cell state
#
# An LSTM carries two vectors from step to step: the hidden state `h` (what it outputs) and
# the cell state `c` (its longer memory). `return_state=True` returns both after the last
# step, next to the output; with `return_sequences=False` the output *is* `h`. Passing them
# as `initial_state` to a second LSTM with the same number of units starts it from the first
# one's memory: this is how sequence-to-sequence models hand over from encoder to decoder.


# %%
def return_state(rng, batch, timesteps, features, units, out_steps):
    shapes = {}
    x = random_input(shapes, rng, batch, timesteps, features)
    output, hidden, cell = layers.LSTM(units, return_state=True)(x)
    check(shapes, "output", output, (batch, units))
    check(shapes, "hidden", hidden, (batch, units))
    check(shapes, "cell", cell, (batch, units))
    assert largest_difference(output, hidden) == 0.0  # the last output is the hidden state
    second_input = random_input(shapes, rng, batch, out_steps, features, name="second_input")
    second = layers.LSTM(units, return_sequences=True)(second_input, initial_state=[hidden, cell])
    check(shapes, "second_output", second, (batch, out_steps, units))
    return {"return_state": shapes}


# %% [markdown]
# ## Bidirectional: twice the units
#
# `Bidirectional(LSTM(units))` holds two LSTMs: one reads the sequence forwards, the other
# backwards (`go_backwards=True`), and their outputs are joined. With the default
# `merge_mode="concat"` they are placed side by side, `2 * units` numbers: the first half is
# the forward LSTM's output, the second half the backward one's (checked below).
# `merge_mode="sum"`, `"ave"` or `"mul"` combine them number by number and keep `units`.


# %%
def bidirectional(rng, batch, timesteps, features, units):
    shapes = {}
    x = random_input(shapes, rng, batch, timesteps, features)
    both = layers.Bidirectional(layers.LSTM(units))
    joined = check(shapes, "output", both(x), (batch, 2 * units))  # merge_mode="concat"
    assert largest_difference(joined[:, :units], both.forward_layer(x)) < 1e-6
    assert largest_difference(joined[:, units:], both.backward_layer(x)) < 1e-6
    summed = layers.Bidirectional(layers.LSTM(units), merge_mode="sum")
    check(shapes, "output_sum", summed(x), (batch, units))
    every_step = layers.Bidirectional(layers.LSTM(units, return_sequences=True))
    check(shapes, "output_sequences", every_step(x), (batch, timesteps, 2 * units))
    return {"bidirectional": shapes}


# %% [markdown]
# ## Run the tour
#
# `main` runs every step above in order and prints each section's shapes (`--quiet` keeps
# only the summary). Try other sizes: `python lstm_shapes.py --units 3 --timesteps 7`.


# %%
def plot_stateful(series, timesteps, path):
    """The stateful comparison as a line chart: whole sequence, in batches, reset each batch."""
    fig = Figure(figsize=SIZE, dpi=DPI)  # 800x450, like every plot of the collection
    axis = fig.subplots()
    steps = np.arange(1, len(series["whole"]) + 1)
    axis.plot(steps, series["whole"], linewidth=3, alpha=0.5, label="whole sequence in one call")
    axis.plot(steps, series["in_batches"], "o", label=f"stateful, batches of {timesteps} steps")
    axis.plot(steps, series["reset_each_batch"], "--", label="reset_state() before every batch")
    for boundary in range(timesteps, len(steps), timesteps):
        axis.axvline(boundary + 0.5, color="grey", linestyle=":")
    axis.set_xticks(steps[::max(1, len(steps) // 20)])
    axis.set_xlabel("time step (dotted lines: batch boundaries)")
    axis.set_ylabel("LSTM output (first unit, first sample)")
    axis.set_title("A stateful LSTM fed batch by batch gives the whole-sequence output")
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")


def parse(argv=None):
    # The common flags, reworded where a tour that trains nothing uses them differently.
    helps = {"epochs": "not used: this tour trains nothing",
             "batch_size": "samples in every demo batch (a stateful model is built for exactly "
                           "this many)",
             "quiet": "print only the summary, not every section's shapes",
             "examples": "print N steps of the stateful comparison, from the last of the first batch",
             "plot": "draw the stateful comparison as a PNG line chart at PATH",
             "save": "save the (untrained) encoder-decoder model to PATH"}
    parser = make_parser("lstm_shapes.py", __doc__, epochs=None, batch_size=BATCH, helps=helps)
    parser.add_argument("--timesteps", type=positive_int, default=TIMESTEPS, help="steps per sequence")
    parser.add_argument("--features", type=positive_int, default=FEATURES, help="numbers per step")
    parser.add_argument("--units", type=positive_int, default=UNITS, help="LSTM units")
    parser.add_argument("--out-steps", type=positive_int, default=OUT_STEPS,
                        help="steps the one-to-many and encoder-decoder models write")
    parser.add_argument("--chunks", type=int_at_least(2), default=CHUNKS,
                        help="batches the stateful demo cuts its long sequence into")
    return parse_args(parser, argv)


def print_section(section):
    for name, shapes in section.items():
        print(f"\n{name}")
        for key, value in shapes.items():
            if key != "series":
                print(f"  {key:<28} {value}")


def main(argv=None) -> dict:
    args = parse(argv)
    start = time.perf_counter()
    seed_everything(args.seed)
    rng = make_rng(args.seed, TRAIN)
    tour = [(input_and_units, ()), (many_to_one, ()), (many_to_many, ()),
            (one_to_many_repeat, (args.out_steps,)), (one_to_many_feedback, (args.out_steps,)),
            (different_lengths, (args.out_steps,)), (stateful_batches, (args.chunks,)),
            (return_state, (args.out_steps,)), (bidirectional, ())]
    sections = {}
    for step, extra in tour:
        section = step(rng, args.batch_size, args.timesteps, args.features, args.units, *extra)
        if not args.quiet:
            print_section(section)
        sections.update(section)
    seconds = time.perf_counter() - start
    stateful = sections["stateful"]
    metrics = {"script": "lstm_shapes", "backend": keras.backend.backend(), "seed": args.seed,
               "batch_size": args.batch_size, "timesteps": args.timesteps, "features": args.features,
               "units": args.units, "out_steps": args.out_steps, "chunks": args.chunks,
               "train_seconds": 0.0, "seconds": round(seconds, 3), **sections}

    if args.examples:  # from the last step of the first batch, where the runs part ways
        print(f"\nStateful comparison (first unit, first sample), {args.examples} steps from step "
              f"{args.timesteps}:\n{'step':>4}  {'whole':>10}  {'in batches':>10}  {'reset each':>10}")
        rows = list(zip(*(stateful["series"][k] for k in ("whole", "in_batches", "reset_each_batch"))))
        for i in range(args.timesteps - 1, min(len(rows), args.timesteps - 1 + args.examples)):
            print(f"{i + 1:>4}  " + "  ".join(f"{value:>10.6f}" for value in rows[i]))
    rows = {name: f"{shapes['input']} -> {shapes['output']}" for name, shapes in sections.items()}
    rows["stateful vs whole: max |diff|"] = f"{stateful['max_abs_difference']:.1e}"
    rows["reset each batch: max |diff|"] = f"{stateful['reset_difference']:.1e}"
    rows["time (no training)"] = f"{seconds:.1f} s"
    print_summary(f"lstm_shapes ({metrics['backend']}): input -> output shapes", rows)
    model = None
    if args.save:
        model = build_encoder_decoder(args.timesteps, args.features, args.units, args.out_steps)
    write_outputs(args, metrics, model,
                  lambda path: plot_stateful(stateful["series"], args.timesteps, path))
    return metrics


if __name__ == "__main__":
    main()
