#!/usr/bin/python3
"""Converts the regularization notebook's data set (../shared/reference/football.json,
the course's data.mat, which the project may not ship) into .npy files for the
npy data plugin: x_train.npy (211, 2), y_train.npy (211,), x_test.npy (200, 2),
y_test.npy (200,); the notebook's Xval/yval serve as the test split.

usage: gen_football_npy.py FOOTBALL_JSON OUT_DIR
"""
import json
import os
import sys

import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        d = json.load(f)
    os.makedirs(sys.argv[2], exist_ok=True)
    arrays = {
        "x_train": np.array(d["X"], dtype=np.float64),
        "y_train": np.array(d["y"], dtype=np.uint8).ravel(),
        "x_test": np.array(d["Xval"], dtype=np.float64),
        "y_test": np.array(d["yval"], dtype=np.uint8).ravel(),
    }
    assert arrays["x_train"].shape == (211, 2) and arrays["x_test"].shape == (200, 2)
    for name, a in arrays.items():
        np.save(os.path.join(sys.argv[2], name + ".npy"), a)


if __name__ == "__main__":
    main()
