"""The Keras side of the README's example figures: a bundled example's model trained by Keras on the same data
split, with the same optimizer, batch size and epochs as its config, so the two results can be set side by side.

  autoencoder  configs/mnist_autoencoder.yaml on configs/data/mnist-5k.h5; prints the test reconstruction loss
               (binary crossentropy per pixel)
  seq2seq      configs/seq2seq_addition.yaml on configs/data/addition.h5; prints the test per-character
               accuracy and the share of questions answered exactly

usage: keras_examples.py {autoencoder,seq2seq} [DATA.h5] [--epochs N] [--seed 42]
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import h5py
import keras
import numpy as np
from keras import layers

ap = argparse.ArgumentParser()
ap.add_argument("example", choices=["autoencoder", "seq2seq"])
ap.add_argument("data", nargs="?")
ap.add_argument("--epochs", type=int)
ap.add_argument("--seed", type=int, default=42)
a = ap.parse_args()
keras.utils.set_random_seed(a.seed)


def read(default, names):
    with h5py.File(a.data or default, "r") as f:
        return [f[n][()].astype("float32") for n in names]


if a.example == "autoencoder":
    x_train, x_test = read("configs/data/mnist-5k.h5", ["x_train", "x_test"])
    x_train, x_test = (x_train / 255).reshape(-1, 28, 28, 1), (x_test / 255).reshape(-1, 28, 28, 1)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(8, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same"),
        layers.UpSampling2D(2),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x_train, x_train, batch_size=128, epochs=a.epochs or 5, validation_data=(x_test, x_test), verbose=2)
    print("keras %s: test reconstruction loss (binary crossentropy per pixel): %.4f"
          % (keras.__version__, model.evaluate(x_test, x_test, batch_size=128, verbose=0)))
else:
    x_train, y_train, x_test, y_test = read("configs/data/addition.h5", ["x_train", "y_train", "x_test", "y_test"])
    model = keras.Sequential([
        keras.Input((7, 12)),
        layers.LSTM(128),
        layers.RepeatVector(4),
        layers.LSTM(128, return_sequences=True),
        layers.TimeDistributed(layers.Dense(12, activation="softmax")),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=a.epochs or 30, validation_data=(x_test, y_test), verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=32, verbose=0)
    exact = np.mean(np.all(model.predict(x_test, verbose=0).argmax(-1) == y_test.argmax(-1), axis=1))
    print("keras %s: test loss %.4f, per-character accuracy %.4f, answers exactly right %.4f"
          % (keras.__version__, loss, accuracy, exact))
