"""The TensorFlow pipeline (wekeo.tf.dataset) and examples/tensorflow/train_tiles.py against a
real `wekeo serve`. Opt-in: WEKEO_TEST_TF=1 (./dev then installs tensorflow-cpu from
requirements-tf.txt); installing TensorFlow costs more than this suite's test budget."""
import math
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))

if os.environ.get("WEKEO_TEST_TF") != "1":
    pytest.skip("TensorFlow tests are opt-in: WEKEO_TEST_TF=1 ./dev test", allow_module_level=True)
try:
    import tensorflow as tf
except ImportError:  # asked for, so missing is a failure, not a skip
    pytest.fail("WEKEO_TEST_TF=1 but tensorflow is not installed (./dev installs test/interop/requirements-tf.txt)", pytrace=False)

import wekeo  # noqa: E402
import wekeo.tf  # noqa: E402


@pytest.fixture(scope="module")
def client(bridge):
    with wekeo.connect(bridge["grpc"]) as c:
        yield c


def test_dataset_yields_the_chips_of_the_arrow_stream(client):
    ds = wekeo.tf.dataset(client, "era5-pressure-levels", variables=["t", "z"], tile=(16, 16), batch_size=8)
    spec = ds.element_spec
    assert spec["x"].shape.as_list() == [None, 16, 16, 2] and spec["x"].dtype == tf.float32
    assert spec["mask"].dtype == tf.bool and spec["time"].dtype == tf.int64 and spec["level"].dtype == tf.float64
    got = list(ds.as_numpy_iterator())
    want = list(wekeo.tf.chip_batches(client, "era5-pressure-levels", variables=["t", "z"], tile=(16, 16), batch_size=8))
    assert len(got) == len(want) > 1
    for g, w in zip(got, want):
        assert set(g) == set(w)
        for k in w:
            np.testing.assert_array_equal(g[k], w[k])
    chips = client.plan("era5-pressure-levels", tile=(16, 16)).total_records
    assert sum(len(b["x"]) for b in got) == chips
    # a second iteration (the next epoch) streams the same chips again
    assert sum(int(b["x"].shape[0]) for b in ds) == chips


def test_train_tiles_example_runs_one_epoch(bridge, client):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "python"), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "tensorflow" / "train_tiles.py"), "--endpoint", bridge["grpc"]],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    sys.stdout.write(r.stdout)  # shown with -s: the loss of every step
    assert r.returncode == 0, r.stderr[-2000:]
    losses = [float(m.group(1)) for m in re.finditer(r"^step \d+ chips \d+ loss (\S+)$", r.stdout, re.M)]
    chips = client.plan("era5-pressure-levels", tile=(16, 16)).total_records
    assert len(losses) == math.ceil(chips / 8)  # one epoch of batches of 8
    assert all(math.isfinite(v) for v in losses)
    assert re.search(r"^epoch done: \d+ steps", r.stdout, re.M)
    before = float(re.search(r"^loss over the dataset before training: (\S+)$", r.stdout, re.M).group(1))
    after = float(re.search(r"^loss over the dataset after one epoch: (\S+) ", r.stdout, re.M).group(1))
    assert after < 0.9 * before  # it learns: the whole-dataset loss drops (1.17 -> 0.76 in one run)
