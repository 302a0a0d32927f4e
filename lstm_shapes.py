"""
Title: How a Keras LSTM sees data: a tour of shapes
Description: Tiny untrained LSTMs fed random numbers, each printing the shapes that go in and
come out: (samples, timesteps, features) -> (samples, units) or (samples, timesteps, units).

You will learn what the three axes of an LSTM's input mean and what `units` changes, how
`return_sequences` gives many-to-one or many-to-many, two ways to get one-to-many, how an
encoder-decoder writes a different number of steps than it reads, what `return_state` and
`initial_state` pass along, why a Bidirectional LSTM returns twice the units, and what
`stateful=True` keeps: checked numerically, against the whole sequence and against windows.
Nothing is trained: the whole run takes under 20 s on 2 CPU cores (CI checks it).
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
# ## Configuration
#
# Distinct default sizes, so every number in a printed shape says which axis it is.
# `SETTINGS` holds every setting with its default and the values it accepts: `python
# lstm_shapes.py --help` lists them as flags (`units` is `--units 3`); in a notebook, edit
# the defaults here.
#
# The checks compare numbers with `np.allclose(rtol=1e-3, atol=1e-3)`, not `==`: two correct
# float32 computations of one thing can round differently. On recent NVIDIA GPUs, TensorFlow and
# JAX by default multiply float32 matrices in TF32 (inputs rounded to 10 bits of mantissa), and
# each shape may get its own kernel, so `Dense` and `TimeDistributed(Dense)`, or one call and
# four, can differ in the 4th decimal where a CPU gives the same digits. (Our NumPy simulation of
# TF32 against float32 for these layers, up to 1024 units, stayed below 1e-3.)

# %%
from common.cli import check_memory, print_settings, read_settings, setting

SIZES = {"batch_size": 4, "timesteps": 5, "features": 2, "units": 8, "out_steps": 3, "chunks": 4}
STREAM_CHUNKS = 10  # chunks the "too long to hold" demo reads, one at a time
RTOL = ATOL = 1e-3   # float32 rounding that a GPU meets (see above)
SETTINGS = {
    "epochs": None,  # a tour that trains nothing
    "batch_size": setting(SIZES["batch_size"], "samples in every batch (a stateful model is built "
                                               "for exactly this many)", at_least=1),
    "quiet": setting(False, "print only the summary, not every section's shapes"),
    "examples": setting(5, "print N steps of the stateful comparison, from the first batch's last",
                        at_least=0, metavar="N"),
    # plot and save keep the shared flags' path checks (.png, .keras): only the help changes
    "plot": setting(None, "draw the stateful comparison as a PNG line chart at PATH"),
    "save": setting(None, "save the (untrained) encoder-decoder model to PATH"),
    "timesteps": setting(SIZES["timesteps"], "steps per sequence", at_least=1),
    "features": setting(SIZES["features"], "numbers per step", at_least=1),
    "units": setting(SIZES["units"], "LSTM units", at_least=1),
    "out_steps": setting(SIZES["out_steps"], "steps the one-to-many and encoder-decoder models write",
                         at_least=1),
    "chunks": setting(SIZES["chunks"], "batches the stateful demo cuts its long sequence into",
                      at_least=2),
}


def finish(args, parser):
    # The largest arrays the tour makes: the stateful sequences (in, out, and the three copies
    # of its output), the windows, the stream, and an LSTM's weights.
    b, t, f, u, c = args.batch_size, args.timesteps, args.features, args.units, args.chunks
    floats = (b * t * max(c, STREAM_CHUNKS) * (f + 4 * u) + (t * (c - 1) + 1) * (t * f + u)
              + 8 * (f + u + 1) * u)
    check_memory(parser, "--batch-size, --timesteps, --features, --units or --chunks", floats)


args = read_settings("lstm_shapes.py", __doc__, SETTINGS, finish)  # in a notebook: the defaults above
print_settings(args)

# %% [markdown]
# ## Setup

# %%
import common  # picks the backend; as Keras loads, quiets TensorFlow's notes and fixes its bugs
import time

import keras
import numpy as np
import pandas as pd
from keras import layers
from matplotlib.figure import Figure

from common.cli import show_figure, show_table, write_outputs
from common.plots import DPI, SIZE
from common.training import seed_everything

seed_everything(args.seed)
B, T, F, U, N = args.batch_size, args.timesteps, args.features, args.units, args.out_steps
rng = np.random.default_rng([args.seed, 0])  # the seed's first random stream
start = time.perf_counter()
sections = {}  # every checked shape and difference, by section: the metrics at the end


def record(section, name, value):
    """Keep ``value`` under ``sections[section][name]`` (the metrics) and print it."""
    if not args.quiet:
        print(("" if section in sections else f"\n{section}\n") + f"  {name}: "
              + (f"{value:.1e}" if isinstance(value, float) else str(value)))
    sections.setdefault(section, {})[name] = value


def check(section, name, tensor, expected):
    """Record ``tensor``'s shape; stop with a clear message if it is not ``expected``."""
    if tuple(tensor.shape) != expected:
        raise AssertionError(f"{section}/{name}: expected shape {expected}, "
                             f"got {tuple(tensor.shape)}")
    record(section, name, expected)
    return tensor


def random_input(section, *shape, name="input"):
    """Random float32 numbers of ``shape``: stand-ins for measurements."""
    return check(section, name, rng.random(shape, dtype=np.float32), shape)


def difference(section, name, a, b, same=True):
    """Record the largest difference between ``a`` and ``b``; if ``same``, stop with a clear
    message unless they agree up to float32 rounding."""
    a, b = keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
    record(section, name, float(np.max(np.abs(a - b))))
    if same and not np.allclose(a, b, rtol=RTOL, atol=ATOL):
        raise AssertionError(f"{section}/{name}: should agree up to float32 rounding (rtol={RTOL}, "
                             f"atol={ATOL}), but differ by up to {sections[section][name]:.2e}")

# %% [markdown]
# ## The input tensor, and what `units` changes
#
# A Keras 3 layer can be called on an array directly, which is handy for looking at shapes.
# `LSTM(units)` turns each sequence into one vector of `units` numbers. `units` is the size
# of the memory; it is free, not tied to the number of features. The kernel multiplies the
# features, the recurrent kernel the previous output, and the `4 * units` columns are the four
# gates. No weight mentions the number of time steps, so the same layer reads any length.

# %%
x = random_input("input_and_units", B, T, F)
lstm = layers.LSTM(U)
check("input_and_units", "output", lstm(x), (B, U))
kernel, recurrent_kernel, bias = lstm.weights
check("input_and_units", "kernel", kernel, (F, 4 * U))
check("input_and_units", "recurrent_kernel", recurrent_kernel, (U, 4 * U))
check("input_and_units", "bias", bias, (4 * U,))
longer = random_input("input_and_units", B, 3 * T, F, name="longer_input")
longer_output = check("input_and_units", "longer_output", lstm(longer), (B, U))

# %% [markdown]
# ## Many-to-one and many-to-many
#
# Inside, an LSTM always computes one output per step. `return_sequences=False` (the
# default) keeps only the last one, shape `(samples, units)`: many-to-one, one answer per
# sequence. `return_sequences=True` keeps them all, `(samples, timesteps, units)`:
# many-to-many, one answer per step. A `Dense` layer given that 3-D tensor applies the same
# weights to every step: `TimeDistributed(Dense)`, which older tutorials use, computes the
# same numbers (checked).

# %%
check("many_to_one", "input", x, (B, T, F))
last = check("many_to_one", "lstm", layers.LSTM(U)(x), (B, U))
check("many_to_one", "output", layers.Dense(1)(last), (B, 1))  # one number per sequence
check("many_to_many", "input", x, (B, T, F))
steps = check("many_to_many", "lstm", layers.LSTM(U, return_sequences=True)(x), (B, T, U))
dense = layers.Dense(F)
per_step = check("many_to_many", "output", dense(steps), (B, T, F))
wrapped = layers.TimeDistributed(dense)(steps)  # the same Dense, so the same weights
difference("many_to_many", "time_distributed_difference", per_step, wrapped)

# %% [markdown]
# ## One-to-many, two ways
#
# An LSTM needs an input at every step it runs, so one vector cannot make a sequence by
# itself. The simple way: `RepeatVector(n)` copies the vector to `n` steps.
#
# The other way feeds each output back as the next input, one step per call. A
# `stateful=True` layer keeps its memory between calls, so each call continues the same
# sequence; its state has one row per sample, so the batch size is part of the model:
# `keras.Input(batch_shape=...)`, with `None` steps for any length. The output must have as
# many features as the input (the Dense sees to it). We call the model directly, `model(step)`:
# on JAX, `predict` does not carry the state from one call to the next.
# forecast_feedback.py trains this loop to forecast a series.

# %%
one = random_input("one_to_many_repeat", B, F)
repeated = check("one_to_many_repeat", "repeated", layers.RepeatVector(N)(one), (B, N, F))
check("one_to_many_repeat", "output", layers.LSTM(U, return_sequences=True)(repeated), (B, N, U))


def build_stateful(batch, features, units, head=None):
    inputs = keras.Input(batch_shape=(batch, None, features))
    outputs = layers.LSTM(units, return_sequences=True, stateful=True)(inputs)
    return keras.Model(inputs, head(outputs) if head else outputs)


feedback = build_stateful(B, F, U, head=layers.Dense(F))
step = random_input("one_to_many_feedback", B, 1, F)
feedback.layers[1].reset_state()  # empty memory: a new sequence (Keras 2: model.reset_states())
generated = []
for _ in range(N):
    step = feedback(step)  # the model's output is its next input
    generated.append(step)
check("one_to_many_feedback", "step", step, (B, 1, F))
check("one_to_many_feedback", "output", keras.ops.concatenate(generated, axis=1), (B, N, F))
feedback.layers[1].reset_state()
if not args.quiet:
    feedback.summary()

# %% [markdown]
# ## Many-to-many with different lengths: encoder, RepeatVector, decoder
#
# To read 5 steps and write 2 (the original tutorial of echo_partial.py echoes the first 2 of
# 5 one-hot integers: `(21, 5, 100) -> (21, 2, 100)`), an encoder LSTM squeezes the input into
# one vector, `RepeatVector` makes one copy per output step, and a decoder LSTM with
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


encoder_decoder = build_encoder_decoder(T, F, U, N)
y = check("encoder_decoder", "input", x, (B, T, F))
for layer, name, shape in zip(encoder_decoder.layers, ("encoded", "repeated", "decoded", "output"),
                              [(B, U), (B, N, U), (B, N, U), (B, N, F)]):
    y = check("encoder_decoder", name, layer(y), shape)
if not args.quiet:
    encoder_decoder.summary()

# %% [markdown]
# ## `return_state=True`: the hidden state and the cell state
#
# An LSTM carries two vectors from step to step: the hidden state `h` (what it outputs) and
# the cell state `c` (its longer memory). `return_state=True` returns both after the last
# step, next to the output; with `return_sequences=False` the output *is* `h` (checked).
# Passing them as `initial_state` to a second LSTM with the same units starts it from the
# first one's memory, the way sequence-to-sequence models hand over to their decoder.

# %%
check("return_state", "input", x, (B, T, F))
output, hidden, cell = layers.LSTM(U, return_state=True)(x)
for name, tensor in (("output", output), ("hidden", hidden), ("cell", cell)):
    check("return_state", name, tensor, (B, U))
difference("return_state", "output_vs_hidden", output, hidden)
second_input = random_input("return_state", B, N, F, name="second_input")
second = layers.LSTM(U, return_sequences=True)(second_input, initial_state=[hidden, cell])
second = check("return_state", "second_output", second, (B, N, U))

# %% [markdown]
# ## Bidirectional: twice the units
#
# `Bidirectional(LSTM(units))` holds two LSTMs: one reads the sequence forwards, the other
# backwards, and their outputs are joined. With the default `merge_mode="concat"` they sit
# side by side, `2 * units` numbers: the forward LSTM's output, then the backward one's
# (checked). `merge_mode="sum"`, `"ave"` or `"mul"` combine them number by number: `units`.

# %%
check("bidirectional", "input", x, (B, T, F))
both = layers.Bidirectional(layers.LSTM(U))
joined = check("bidirectional", "output", both(x), (B, 2 * U))
difference("bidirectional", "forward_half", joined[:, :U], both.forward_layer(x))
difference("bidirectional", "backward_half", joined[:, U:], both.backward_layer(x))
summed = layers.Bidirectional(layers.LSTM(U), merge_mode="sum")(x)
check("bidirectional", "output_sum", summed, (B, U))
every_step = layers.Bidirectional(layers.LSTM(U, return_sequences=True))(x)
every_step = check("bidirectional", "output_sequences", every_step, (B, T, 2 * U))

# %% [markdown]
# ## Stateful layers: one long sequence in consecutive batches
#
# A stateful LSTM starts each batch from the memory the previous batch left, so a long
# sequence cut into consecutive pieces gives the same outputs as the whole sequence at once
# (up to float32 rounding). `reset_state()` empties the memory: resetting before every piece
# treats each piece as a new sequence, and the outputs change. Row `i` of every batch
# continues row `i` of the previous one, which is why the batch size is fixed (the state has
# shape `(batch, units)`) and why training on such batches must not shuffle them.

# %%
model = build_stateful(B, F, U)
memory = model.layers[1]  # the stateful LSTM
sequence = random_input("stateful", B, T * args.chunks, F)
memory.reset_state()
whole = keras.ops.convert_to_numpy(model(sequence))
check("stateful", "output", whole, (B, T * args.chunks, U))
pieces = np.split(sequence, args.chunks, axis=1)
check("stateful", "batch", pieces[0], (B, T, F))
memory.reset_state()
in_batches = np.concatenate([keras.ops.convert_to_numpy(model(piece)) for piece in pieces], axis=1)
for i, state in enumerate(memory.states):  # the hidden and the cell state
    check("stateful", f"state_{i}", state, (B, U))
restarted = []
for piece in pieces:
    memory.reset_state()
    restarted.append(keras.ops.convert_to_numpy(model(piece)))
restarted = np.concatenate(restarted, axis=1)
memory.reset_state()
difference("stateful", "max_abs_difference", whole, in_batches)
difference("stateful", "reset_difference", whole, restarted, same=False)
series = {name: [round(float(v), 6) for v in values[0, :, 0]] for name, values in
          (("whole", whole), ("in_batches", in_batches), ("reset_each_batch", restarted))}

# %% [markdown]
# Where the three part: the first unit of the first sample, from the last step of the first
# batch on.

# %%
if args.examples and not args.quiet:  # from the last step of the first batch, where they part
    shown = range(T - 1, min(T * args.chunks, T - 1 + args.examples))
    show_table(pd.DataFrame({k: [series[k][i] for i in shown] for k in series},
                            index=pd.Index([i + 1 for i in shown], name="step")),
               f"first unit, first sample, from step {T}")

# %% [markdown]
# ## Windows vs the whole sequence
#
# Many tutorials cut one long series into overlapping windows of `look_back` steps (here
# `--timesteps`) for a stateless LSTM. Keras treats each window as an independent sequence
# that starts from an empty memory, so an output depends on the last `look_back` steps only:
# the window caps what the model can learn. Below, one sample of the sequence above, cut into
# windows, goes through an LSTM with the stateful one's weights. The first window's output
# matches the whole sequence's (both start at step 1); the last one misses what came before.
# How much it misses depends on how far back the memory reaches: this untrained LSTM's fades
# within some 20 steps (with `--timesteps 20` the difference falls to 2e-3, seeds 7 and 8).

# %%
windows = np.lib.stride_tricks.sliding_window_view(sequence[0], T, axis=0)  # (windows, features, T)
windows = np.ascontiguousarray(windows.transpose(0, 2, 1))
check("windows", "input", windows, (T * (args.chunks - 1) + 1, T, F))  # one sample per window
stateless = layers.LSTM(U)
stateless.build(windows.shape)
stateless.set_weights(memory.get_weights())  # the stateful LSTM's weights
per_window = check("windows", "output", stateless(windows), (len(windows), U))
difference("windows", "first_window_difference", per_window[0], whole[0, T - 1])
difference("windows", "last_window_difference", per_window[-1], whole[0, -1], same=False)

# %% [markdown]
# ## Why `stateful=True`: a sequence too long to hold at once
#
# The batches above could have been one call. The honest reason for `stateful=True` is a
# sequence too long for memory, or one that arrives as a stream: read it a chunk at a time
# and keep only the state between calls, so each call's input and output have the chunk's
# length, not the sequence's. Below, the chunks are made one at a time and dropped after use;
# the last output is checked against one call on the whole sequence.

# %%
def stream(seed, n_chunks):
    """Chunks of a long sequence, made one at a time (in practice: read from disk or a sensor)."""
    chunk_rng = np.random.default_rng(seed)
    for _ in range(n_chunks):
        yield chunk_rng.random((B, T, F), dtype=np.float32)


stream_seed = int(rng.integers(2**32))  # both passes below read the same chunks
memory.reset_state()
for chunk in stream(stream_seed, STREAM_CHUNKS):  # each call holds one chunk and the state
    streamed = model(chunk)
check("stream", "chunk", chunk, (B, T, F))
check("stream", "chunk_output", streamed, (B, T, U))
memory.reset_state()
whole_stream = np.concatenate(list(stream(stream_seed, STREAM_CHUNKS)), axis=1)  # for the check
check("stream", "input", whole_stream, (B, T * STREAM_CHUNKS, F))
final = check("stream", "output", model(whole_stream), (B, T * STREAM_CHUNKS, U))[:, -1]
memory.reset_state()
difference("stream", "final_output_difference", streamed[:, -1], final)

# %% [markdown]
# ## Summary and plot
#
# Every section's input and output shapes, the differences the checks measured, and the
# stateful comparison drawn: one line per way of feeding its sequence to the LSTM.

# %%
seconds = time.perf_counter() - start
sections["stateful"]["series"] = series  # first unit of the first sample, for the plot
metrics = {"script": "lstm_shapes", "backend": keras.backend.backend(), "seed": args.seed,
           **{name: getattr(args, name) for name in SIZES}, "seconds": round(seconds, 3),
           **sections}
rows = {name: f"{shapes['input']} -> {shapes['output']}" for name, shapes in sections.items()}
for label, section, name in (("stateful batches vs whole", "stateful", "max_abs_difference"),
                             ("reset every batch vs whole", "stateful", "reset_difference"),
                             ("last window vs whole", "windows", "last_window_difference"),
                             ("stream vs whole, last step", "stream", "final_output_difference")):
    rows[f"{label}: max |diff|"] = f"{sections[section][name]:.1e}"
rows["time (no training)"] = f"{seconds:.1f} s"
metrics["headline"] = (f"stateful batches vs the whole sequence: max difference "
                       f"{sections['stateful']['max_abs_difference']:.1e}; reset every batch: "
                       f"{sections['stateful']['reset_difference']:.2f}; last {T}-step window: "
                       f"{sections['windows']['last_window_difference']:.3f}")
show_table(rows, f"lstm_shapes ({metrics['backend']}): input -> output shapes")


def plot_stateful(series, timesteps):
    """The stateful comparison as a line chart: whole sequence, in batches, reset each batch."""
    figure = Figure(figsize=SIZE, dpi=DPI)  # 800x450, like every plot of the collection
    axis = figure.subplots()
    steps = np.arange(1, len(series["whole"]) + 1)
    axis.plot(steps, series["whole"], linewidth=3, alpha=0.5, label="whole sequence in one call")
    axis.plot(steps, series["in_batches"], "o", label=f"stateful, batches of {timesteps} steps")
    axis.plot(steps, series["reset_each_batch"], "--", label="reset_state() before every batch")
    for boundary in range(timesteps, len(steps), timesteps):
        axis.axvline(boundary + 0.5, color="grey", linestyle=":")
    axis.set_xticks(steps[::max(1, len(steps) // 20)])
    axis.set(xlabel="time step (dotted lines: batch boundaries)",
             ylabel="LSTM output (first unit, first sample)",
             title="A stateful LSTM fed batch by batch gives the whole-sequence output")
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


figure = plot_stateful(series, T)
show_figure(figure)
write_outputs(args, metrics, encoder_decoder, figure)

# %% [markdown]
# ## What we learned
#
# Numbers from the default run (`python lstm_shapes.py`: seed 7, TensorFlow, CPU):
#
# - An LSTM reads `(samples, timesteps, features)`. Its weights, `(2, 32)`, `(8, 32)` and
#   `(32,)` for 2 features and 8 units, have no time axis, so one layer read 5 and 15 steps.
# - `return_sequences` chooses many-to-one, `(4, 8)`, or many-to-many, `(4, 5, 8)`; a `Dense`
#   on the 3-D output gave the same numbers as `TimeDistributed(Dense)` (difference 0.0).
# - A stateful LSTM fed 4 batches of 5 steps gave the 20-step sequence's outputs (difference
#   0.0); `reset_state()` before each batch changed them by up to 0.25.
# - Windows of 5 steps cap the memory: the last window's output was 0.056 away from the whole
#   sequence's. Streaming 10 chunks through a stateful LSTM ended where one call on all 50 steps
#   did (difference 0.0): reading a sequence too long to hold is what `stateful=True` is for.
# - The checks allow float32 rounding (`rtol=atol=1e-3`): a GPU's TF32 products stay inside it
#   (simulated in NumPy), a reset (0.25) does not.

# %% [markdown]
# ## Try next
#
# ```bash
# python lstm_shapes.py --units 3 --timesteps 7   # every shape follows the flags
# python lstm_shapes.py --timesteps 20            # longer windows miss less (last window: 2.0e-03)
# python lstm_shapes.py --chunks 10 --examples 8  # a longer stateful sequence, more steps printed
# ```
