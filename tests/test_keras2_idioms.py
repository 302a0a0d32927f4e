"""The "Coming from Keras 2" table (docs/keras2.md), checked: each Keras 2 idiom the original
tutorials use fails (or is gone) in Keras 3, and its Keras 3 form does what the table says."""

import numpy as np
import pytest

import common  # noqa: F401  (quiets TensorFlow before Keras loads)
import keras


def stateful_layers(model):
    """Keras 3's replacement for Keras 2's model.reset_states(): the stateful layers, each
    with its own reset_state()."""
    return [layer for layer in model.layers if getattr(layer, "stateful", False)]


def reset_model_state(model):
    for layer in stateful_layers(model):
        layer.reset_state()


def _stateful(batch, steps=3, units=4):
    inputs = keras.Input(batch_shape=(batch, steps, 1))
    return keras.Model(inputs, keras.layers.LSTM(units, stateful=True)(inputs))


def test_batch_input_shape_is_keras_input_batch_shape():
    with pytest.raises(ValueError, match="batch_input_shape"):
        keras.layers.LSTM(4, batch_input_shape=(2, 3, 1))
    assert _stateful(2).input_shape == (2, 3, 1)


def test_model_reset_states_is_each_layers_reset_state():
    model = _stateful(2)
    assert not hasattr(model, "reset_states")
    model(np.ones((2, 3, 1), dtype="float32"))
    layer = stateful_layers(model)[0]
    assert np.abs(keras.ops.convert_to_numpy(layer.states[0])).sum() > 0
    layer.reset_state()
    assert np.abs(keras.ops.convert_to_numpy(layer.states[0])).sum() == 0


def test_np_utils_to_categorical_is_keras_utils_and_returns_float():
    with pytest.raises(ImportError):
        from keras.utils import np_utils  # noqa: F401
    encoded = keras.utils.to_categorical([0, 2], 3)
    np.testing.assert_array_equal(encoded, [[1, 0, 0], [0, 0, 1]])
    assert encoded.dtype.kind == "f"


def test_pad_sequences_is_in_keras_utils():
    padded = keras.utils.pad_sequences([[1], [1, 2, 3]], maxlen=3, padding="pre", value=0)
    np.testing.assert_array_equal(padded, [[0, 0, 1], [1, 2, 3]])


def test_nb_epoch_is_epochs():
    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(loss="mse")
    x, y = np.zeros((4, 2)), np.zeros((4, 1))
    with pytest.raises(TypeError, match="nb_epoch"):
        model.fit(x, y, nb_epoch=1, verbose=0)
    assert len(model.fit(x, y, epochs=2, verbose=0).history["loss"]) == 2


def test_time_distributed_dense_is_dense_on_3d_input():
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    dense = keras.layers.Dense(4)
    wrapped = keras.layers.TimeDistributed(keras.layers.Dense(4))
    dense(x), wrapped(x)
    wrapped.layer.set_weights(dense.get_weights())
    # float32 on a GPU may differ in the last bits: a tolerance every device meets.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dense(x)),
                               keras.ops.convert_to_numpy(wrapped(x)), rtol=1e-4, atol=1e-5)


def test_stateful_rules_fixed_batch_and_continuation():
    """A stateful model takes only the batch size it was built with; sample i of batch k+1
    continues sample i of batch k, so two 3-step batches equal the 6-step sequences."""
    keras.utils.set_random_seed(0)
    model = _stateful(2)
    with pytest.raises(ValueError, match="batch size"):
        model(np.zeros((3, 3, 1), dtype="float32"))
    sequences = np.random.default_rng(1).normal(size=(2, 6, 1)).astype("float32")
    reset_model_state(model)
    model(sequences[:, :3])
    carried = keras.ops.convert_to_numpy(model(sequences[:, 3:]))
    whole_inputs = keras.Input(shape=(6, 1))
    whole = keras.Model(whole_inputs, keras.layers.LSTM(4)(whole_inputs))
    whole.set_weights(model.get_weights())
    np.testing.assert_allclose(carried, keras.ops.convert_to_numpy(whole(sequences)),
                               rtol=1e-4, atol=1e-5)
    reset_model_state(model)  # a reset starts both samples afresh
    part_inputs = keras.Input(shape=(3, 1))
    part = keras.Model(part_inputs, keras.layers.LSTM(4)(part_inputs))
    part.set_weights(model.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(sequences[:, 3:])),
                               keras.ops.convert_to_numpy(part(sequences[:, 3:])),
                               rtol=1e-4, atol=1e-5)
