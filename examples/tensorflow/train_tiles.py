"""Trains a tiny convolutional model for one epoch on ERA5 tiles served by a wekeo bridge.

The task: predict temperature `t` from geopotential `z` on the same pressure-level chip (the two
are tied by hydrostatics, so a small conv net learns it quickly). Chips come from the bridge's
tiles layout through `wekeo.tf.dataset` (Arrow stream -> tf.data); missing cells and the padding
of chips cut by the grid edge are masked out of the loss. Prints the loss of every step.

    ./dev serve &                       # the sample catalog on grpc://127.0.0.1:8815
    pip install ./python tensorflow-cpu
    python examples/tensorflow/train_tiles.py [--endpoint grpc://127.0.0.1:8815]
"""
import argparse
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off the loss lines

import numpy as np
import tensorflow as tf

import wekeo
import wekeo.tf


def channel_stats(client, args):
    """Mean and standard deviation of the input and the target over every valid cell (one streamed pass)."""
    n = np.zeros(2)
    s = np.zeros(2)
    ss = np.zeros(2)
    for b in wekeo.tf.chip_batches(client, args.dataset, variables=[args.input, args.target], tile=args.tile, batch_size=64):
        x = b["x"].astype(np.float64)
        for k in range(2):
            v = x[..., k][b["mask"][..., k]]
            n[k] += v.size
            s[k] += v.sum()
            ss[k] += (v * v).sum()
    mean = s / n
    std = np.sqrt(np.maximum(ss / n - mean * mean, 1e-12))
    return mean.astype(np.float32), std.astype(np.float32)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default="grpc://127.0.0.1:8815")
    p.add_argument("--token", default=os.environ.get("WEKEO_TOKEN"))
    p.add_argument("--dataset", default="era5-pressure-levels")
    p.add_argument("--input", default="z")
    p.add_argument("--target", default="t")
    p.add_argument("--tile", type=int, nargs=2, default=[16, 16], metavar=("H", "W"))
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--learning-rate", type=float, default=3e-3)
    args = p.parse_args(argv)
    tf.keras.utils.set_random_seed(0)

    client = wekeo.connect(args.endpoint, token=args.token)
    mean, std = channel_stats(client, args)
    print(f"{args.dataset}: {args.input} -> {args.target}, tiles {args.tile[0]}x{args.tile[1]}, "
          f"mean {mean.tolist()}, std {std.tolist()}", flush=True)

    def prepare(b):
        x = (b["x"] - mean) / std
        valid = tf.reduce_all(b["mask"], axis=-1, keepdims=True)  # both channels present
        x = tf.where(b["mask"], x, 0.0)
        return x[..., :1], x[..., 1:], tf.cast(valid, tf.float32)

    data = wekeo.tf.dataset(client, args.dataset, variables=[args.input, args.target], tile=args.tile,
                            batch_size=args.batch_size).shuffle(16, seed=0).map(prepare).prefetch(2)

    model = tf.keras.Sequential([
        tf.keras.Input((args.tile[0], args.tile[1], 1)),
        tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        tf.keras.layers.Conv2D(1, 1),
    ])
    opt = tf.keras.optimizers.Adam(args.learning_rate)

    @tf.function
    def step(x, y, w):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss = tf.reduce_sum(w * tf.square(pred - y)) / tf.maximum(tf.reduce_sum(w), 1.0)
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    def evaluate():
        """Mean loss over every valid cell of the dataset (one pass, no training)."""
        num = den = 0.0
        for x, y, w in data:
            num += float(tf.reduce_sum(w * tf.square(model(x, training=False) - y)))
            den += float(tf.reduce_sum(w))
        return num / max(den, 1.0)

    before = evaluate()
    print(f"loss over the dataset before training: {before:.4f}", flush=True)
    t0 = time.monotonic()
    losses = []
    for i, (x, y, w) in enumerate(data, start=1):
        loss = float(step(x, y, w))
        losses.append(loss)
        print(f"step {i} chips {int(x.shape[0])} loss {loss:.4f}", flush=True)
    if not losses or not all(math.isfinite(v) for v in losses):
        print("training failed: no steps or a non-finite loss", file=sys.stderr)
        return 1
    print(f"epoch done: {len(losses)} steps in {time.monotonic() - t0:.1f} s", flush=True)
    after = evaluate()
    print(f"loss over the dataset after one epoch: {after:.4f} (before: {before:.4f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
