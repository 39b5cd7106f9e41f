#!/usr/bin/env python3
"""Training-speed benchmark (not a test): nnlab against the machine's BLAS peak
and against PyTorch, measured side by side in one run. The machine is shared
and noisy, so every figure is the median of several repeats and the results
are ratios.

    /usr/bin/python3 experiments/bench/train_bench.py [--nnlab build/nnlab] [--repeats 3]

Prints, for one MLP (784-256-128-10, softmax, plain SGD, mini-batches of 256):
  - BLAS peak: dgemm GFLOP/s on 2048x2048 matrices through NumPy (same OpenBLAS);
  - nnlab: examples/s from summary.json, effective GFLOP/s (6 flops per weight
    per example: forward, dW, dA) and its fraction of the BLAS peak;
  - PyTorch (if installed): examples/s of the same model, loss and optimizer,
    and the ratio nnlab / PyTorch;
at 1 and 2 threads.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

LAYERS = [784, 256, 128, 10]
M, BATCH, EPOCHS = 20000, 256, 3


def weights():
    return sum(a * b for a, b in zip(LAYERS[:-1], LAYERS[1:]))


def blas_peak(threads, repeats):
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    n = 2048
    a, b = np.random.rand(n, n), np.random.rand(n, n)
    a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def make_data(folder):
    rng = np.random.RandomState(0)
    X = rng.randn(M, LAYERS[0])
    y = rng.randint(0, LAYERS[-1], size=M)
    np.save(os.path.join(folder, "X.npy"), X)
    np.save(os.path.join(folder, "y.npy"), y)
    cfg = os.path.join(folder, "bench.cfg")
    with open(cfg, "w") as f:
        f.write('name = "bench"; seed = 1;\n'
                'data = { plugin = "npy"; x_train = "X.npy"; y_train = "y.npy"; };\n'
                'model = { hidden = [%d, %d]; activation = "relu"; output = "softmax"; };\n'
                'init = { plugin = "he"; };\n'
                'optim = { plugin = "sgd"; lr = 0.01; };\n'
                'train = { epochs = %d; batch_size = %d; log_every = 1000; };\n'
                'output = { plots = false; weights = false; };\n'
                % (LAYERS[1], LAYERS[2], EPOCHS, BATCH))
    return cfg, X, y


def nnlab_rate(cmd, cfg, folder, threads, repeats):
    rates = []
    for r in range(repeats):
        out = os.path.join(folder, "run%d_%d" % (threads, r))
        subprocess.run([cmd, "run", cfg, "-q", "-o", out, "-s", "train.threads=%d" % threads],
                       check=True, stdout=subprocess.DEVNULL)
        rates.append(json.load(open(os.path.join(out, "summary.json")))["examples_per_second"])
    return statistics.median(rates)


def torch_rate(X, y, threads, repeats):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    rates = []
    for _ in range(repeats):
        mods = []
        for a, b in zip(LAYERS[:-1], LAYERS[1:]):
            mods += [torch.nn.Linear(a, b).double(), torch.nn.ReLU()]
        net = torch.nn.Sequential(*mods[:-1])
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        loss_fn = torch.nn.CrossEntropyLoss()
        t = time.perf_counter()
        for _ in range(EPOCHS):
            perm = torch.randperm(M)
            for s in range(0, M, BATCH):
                idx = perm[s:s + BATCH]
                opt.zero_grad()
                loss_fn(net(Xt[idx]), yt[idx]).backward()
                opt.step()
        rates.append(EPOCHS * M / (time.perf_counter() - t))
    return statistics.median(rates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnlab", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "nnlab"))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    flops_per_example = 6 * weights()
    with tempfile.TemporaryDirectory() as folder:
        cfg, X, y = make_data(folder)
        print("MLP %s, %d examples, batch %d, %d epochs, median of %d" % (LAYERS, M, BATCH, EPOCHS, args.repeats))
        for threads in (1, 2):
            peak = blas_peak(threads, args.repeats)
            nn = nnlab_rate(args.nnlab, cfg, folder, threads, args.repeats)
            tr = torch_rate(X, y, threads, args.repeats)
            eff = nn * flops_per_example / 1e9
            line = ("threads %d: BLAS peak %.1f GFLOP/s | nnlab %.0f examples/s = %.1f GFLOP/s = %.0f%% of peak"
                    % (threads, peak, nn, eff, 100 * eff / peak))
            if tr:
                line += " | PyTorch %.0f examples/s, nnlab/PyTorch = %.2fx" % (tr, nn / tr)
            print(line)


if __name__ == "__main__":
    main()
