#!/usr/bin/python3
"""Training-speed comparison (a benchmark, not a test): the same networks on
the same data trained by nnlab, PyTorch (float64 and float32), NumPy and
scikit-learn's MLPClassifier, each where installed (Debian: python3-torch,
python3-numpy, python3-sklearn), in alternating runs on one machine.

    /usr/bin/python3 experiments/bench/train_bench.py [--nnlab build/nnlab]
        [--nnlab-f32 build-f32/nnlab] [--repeats 3] [--threads 1]
        [--workloads mlp500,mlp64,tiny,pixels,fashion] [--examples 19600]
        [--baseline OTHER_BUILD/nnlab]

Workloads (synthetic data of the workload's shape: random Gaussian inputs
labelled by a random linear teacher, written once as .npy and read by all):
  mlp500   154-512-512-10 ReLU softmax, Adam lr 1e-3, batch 500, 1 epoch
           (the CIFAR-10 features network of the report)
  mlp64    the same at batch 64
  tiny     2-10-5-1 ReLU sigmoid, plain gradient descent lr 0.01, full batch
           of 300 points (the initialization notebook's network); nnlab
           15,000 iterations, the slower peers fewer (per-iteration times)
  pixels   3072-100-10 ReLU softmax, SGD lr 1e-3, batch 200, 1 epoch of 10,000
           (a raw-pixel CIFAR-10 network)
  fashion  1225-256-10 ReLU softmax with dropout 0.5, Adam lr 1e-3, batch 128,
           1 epoch of 20,000 (the Fashion-MNIST features network; MLPClassifier
           has no dropout and runs it without)

Every implementation runs in its own process and times its training loop
alone (no data loading, no evaluation). With one thread every time is the
process's CPU time (time.process_time, nnlab bench's "cpu" clock), so other
programs sharing the cores do not count; with more threads, wall time.
Each peer gets its best configuration here: PyTorch with torch.set_num_threads
and, above one thread, OMP_WAIT_POLICY=PASSIVE (its OpenMP threads otherwise
spin); NumPy with OPENBLAS_NUM_THREADS; nnlab with --threads. Every process
also gets glibc's MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ (32 and
256 MiB; see PEER_MALLOC): the peers allocate their activations and gradients
anew in every step, and with glibc's defaults a fresh process maps and unmaps
each block above 128 KiB, so every step faults its pages in again (on one KVM
host, 625,000 page faults and 5.8 s of system time in a NumPy batch-64 epoch
of 2 s; PyTorch f64 5.8 s instead of 2.2). nnlab allocates nothing in a step,
so the setting does not change its times.
The runs alternate (every implementation once per round, --repeats rounds);
the table gives medians and the ratios peer / nnlab (above 1: nnlab faster;
float32 peers against nnlab's float build, build-f32),
each ratio the median of the per-round ratios. nnlab bench also measures the
dgemm peak (a 2048 x 2048 product) in every mlp500 run; the fraction of it that
training reaches is printed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

WORKLOADS = {
    # name: layers, output, optimizer, lr, batch (0 = full), examples, nnlab
    # epochs, peer epochs, dropout keep probability
    "mlp500": dict(layers=[154, 512, 512, 10], optim="adam", lr=1e-3, batch=500, m=19600, epochs=1, peer_epochs=1),
    "mlp64": dict(layers=[154, 512, 512, 10], optim="adam", lr=1e-3, batch=64, m=19600, epochs=1, peer_epochs=1),
    "tiny": dict(layers=[2, 10, 5, 1], optim="sgd", lr=0.01, batch=0, m=300, epochs=15000, peer_epochs=3000),
    "pixels": dict(layers=[3072, 100, 10], optim="sgd", lr=1e-3, batch=200, m=10000, epochs=1, peer_epochs=1),
    "fashion": dict(layers=[1225, 256, 10], optim="adam", lr=1e-3, batch=128, m=20000, epochs=1, peer_epochs=1,
                    keep=0.5),
}
PEERS = ["nnlab", "nnlab_f32", "baseline", "torch_f64", "torch_f32", "numpy", "sklearn"]


def per_unit(w):
    """Times are per epoch, or per iteration for a full-batch workload."""
    return "us/iteration" if w["batch"] == 0 else "s/epoch"


def make_data(folder, name, w):
    import numpy as np
    rng = np.random.RandomState(0)
    d, k = w["layers"][0], max(2, w["layers"][-1])
    X = rng.randn(w["m"], d)
    T = rng.randn(d, k) / np.sqrt(d)
    y = np.argmax(X @ T + 0.5 * rng.randn(w["m"], k), axis=1).astype(np.int64)
    np.save(os.path.join(folder, name + "_X.npy"), X)
    np.save(os.path.join(folder, name + "_y.npy"), y)
    hidden = ", ".join(str(h) for h in w["layers"][1:-1])
    out = "sigmoid" if w["layers"][-1] == 1 else "softmax"
    reg = '( { plugin = "dropout"; keep_prob = %g; } )' % w["keep"] if "keep" in w else "( )"
    with open(os.path.join(folder, name + ".cfg"), "w") as f:
        f.write('name = "%s"; seed = 1;\n'
                'data = { plugin = "npy"; x_train = "%s_X.npy"; y_train = "%s_y.npy"; };\n'
                'model = { hidden = [%s]; activation = "relu"; output = "%s"; };\n'
                'init = { plugin = "he"; seed = 1; };\n'
                'optim = { plugin = "%s"; lr = %g; };\n'
                'reg = %s;\n'
                'train = { epochs = %d; batch_size = %d; };\n'
                'output = { plots = false; weights = false; };\n'
                % (name, name, name, hidden, out, w["optim"], w["lr"], reg, w["epochs"], w["batch"]))


# ---- workers: each runs in its own process and prints one JSON line --------

def clock(threads):
    return time.process_time if threads == 1 else time.perf_counter


def worker_torch(folder, name, w, threads, dtype_name):
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    dtype = torch.float64 if dtype_name == "f64" else torch.float32
    X = torch.from_numpy(np.load(os.path.join(folder, name + "_X.npy"))).to(dtype)
    y = torch.from_numpy(np.load(os.path.join(folder, name + "_y.npy")))
    torch.manual_seed(0)
    mods = []
    L = w["layers"]
    for i, (a, b) in enumerate(zip(L[:-1], L[1:])):
        mods.append(torch.nn.Linear(a, b).to(dtype))
        if i + 2 < len(L):
            mods.append(torch.nn.ReLU())
            if "keep" in w:
                mods.append(torch.nn.Dropout(1 - w["keep"]))
    net = torch.nn.Sequential(*mods)
    if L[-1] == 1:
        loss_fn, yt = torch.nn.BCEWithLogitsLoss(), y.to(dtype).reshape(-1, 1)
    else:
        loss_fn, yt = torch.nn.CrossEntropyLoss(), y
    opt = (torch.optim.Adam if w["optim"] == "adam" else torch.optim.SGD)(net.parameters(), lr=w["lr"])
    m, bs = X.shape[0], w["batch"] or X.shape[0]
    now = clock(threads)
    t = now()
    for _ in range(w["peer_epochs"]):
        if bs == m:
            batches = [None]
        else:
            perm = torch.randperm(m)
            batches = [perm[s:s + bs] for s in range(0, m, bs)]
        for idx in batches:
            xb, yb = (X, yt) if idx is None else (X[idx], yt[idx])
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xb), yb).backward()
            opt.step()
    return now() - t, w["peer_epochs"]


def worker_numpy(folder, name, w, threads):
    """The course's NumPy style: (units, batch) arrays, explicit backward, Adam
    or gradient descent as in the notebooks."""
    import numpy as np
    X = np.load(os.path.join(folder, name + "_X.npy"))
    y = np.load(os.path.join(folder, name + "_y.npy"))
    L = w["layers"]
    rng = np.random.RandomState(1)
    W = [rng.randn(b, a) * np.sqrt(2.0 / a) for a, b in zip(L[:-1], L[1:])]
    B = [np.zeros((b, 1)) for b in L[1:]]
    params = W + B
    mom = [np.zeros_like(p) for p in params]
    vel = [np.zeros_like(p) for p in params]
    keep = w.get("keep", 1.0)
    m, bs = X.shape[0], w["batch"] or X.shape[0]
    K = L[-1]
    now = clock(threads)
    t0 = now()
    step = 0
    for _ in range(w["peer_epochs"]):
        order = np.arange(m) if bs == m else rng.permutation(m)
        for s in range(0, m, bs):
            idx = order[s:s + bs]
            A = X[idx].T
            yb = y[idx]
            n = A.shape[1]
            acts, masks = [A], []
            for l in range(len(W)):
                Z = W[l] @ acts[-1] + B[l]
                if l + 1 < len(W):
                    A = np.maximum(Z, 0)
                    if keep < 1:
                        D = (rng.rand(*A.shape) < keep) / keep
                        A = A * D
                        masks.append(D)
                    acts.append(A)
            if K == 1:
                P = 1 / (1 + np.exp(-Z))
                dZ = (P - yb.reshape(1, -1)) / n
            else:
                E = np.exp(Z - Z.max(axis=0, keepdims=True))
                P = E / E.sum(axis=0, keepdims=True)
                P[yb, np.arange(n)] -= 1
                dZ = P / n
            grads_W, grads_B = [None] * len(W), [None] * len(W)
            for l in range(len(W) - 1, -1, -1):
                grads_W[l] = dZ @ acts[l].T
                grads_B[l] = dZ.sum(axis=1, keepdims=True)
                if l:
                    dA = W[l].T @ dZ
                    if keep < 1:
                        dA = dA * masks[l - 1]
                    dZ = dA * (acts[l] > 0)
            grads = grads_W + grads_B
            step += 1
            for i, (p, g) in enumerate(zip(params, grads)):
                if w["optim"] == "adam":
                    mom[i] = 0.9 * mom[i] + 0.1 * g
                    vel[i] = 0.999 * vel[i] + 0.001 * g * g
                    mh = mom[i] / (1 - 0.9 ** step)
                    vh = vel[i] / (1 - 0.999 ** step)
                    p -= w["lr"] * mh / (np.sqrt(vh) + 1e-8)
                else:
                    p -= w["lr"] * g
    return now() - t0, w["peer_epochs"]


def worker_sklearn(folder, name, w, threads):
    import warnings
    import numpy as np
    from sklearn.neural_network import MLPClassifier
    X = np.load(os.path.join(folder, name + "_X.npy"))
    y = np.load(os.path.join(folder, name + "_y.npy"))
    bs = w["batch"] or X.shape[0]
    clf = MLPClassifier(hidden_layer_sizes=tuple(w["layers"][1:-1]), activation="relu",
                        solver="adam" if w["optim"] == "adam" else "sgd", alpha=0.0, batch_size=bs,
                        learning_rate_init=w["lr"], momentum=0.0, max_iter=w["peer_epochs"],
                        shuffle=True, tol=0.0, n_iter_no_change=w["peer_epochs"] + 1, random_state=0)
    now = clock(threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "maximum iterations reached"
        t = now()
        clf.fit(X, y)
        return now() - t, w["peer_epochs"]


def run_worker(args):
    w = WORKLOADS[args.workload]
    if args.impl.startswith("torch"):
        sec, epochs = worker_torch(args.folder, args.workload, w, args.threads, args.impl[-3:])
    elif args.impl == "numpy":
        sec, epochs = worker_numpy(args.folder, args.workload, w, args.threads)
    else:
        sec, epochs = worker_sklearn(args.folder, args.workload, w, args.threads)
    print(json.dumps({"seconds": sec, "epochs": epochs}))


# ---- the driver ---------------------------------------------------------------

def available(impl, args):
    if impl == "nnlab":
        return os.access(args.nnlab, os.X_OK)
    if impl == "nnlab_f32":
        return bool(args.nnlab_f32) and os.access(args.nnlab_f32, os.X_OK)
    if impl == "baseline":
        return bool(args.baseline) and os.access(args.baseline, os.X_OK)
    mod = {"torch_f64": "torch", "torch_f32": "torch", "numpy": "numpy", "sklearn": "sklearn"}[impl]
    return subprocess.run([sys.executable, "-c", "import " + mod], capture_output=True).returncode == 0


# glibc malloc kept from returning the peers' per-step blocks to the kernel
# (the module's docstring says why); the user's own setting wins.
PEER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}


def one_run(impl, name, w, folder, args):
    """Seconds per epoch (per iteration when full batch) of one run; for
    nnlab also the bench's JSON."""
    env = dict(PEER_MALLOC)
    env.update(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    if args.threads > 1:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    if impl.startswith("nnlab") or impl == "baseline":
        exe = {"nnlab": args.nnlab, "nnlab_f32": args.nnlab_f32}.get(impl, args.baseline)
        peak = "2048" if name == "mlp500" else "0"
        out = subprocess.run([exe, "bench", "--experiment", os.path.join(folder, name + ".cfg"),
                              "--threads", str(args.threads), "--peak-size", peak, "--json"]
                             + (["--wall"] if args.threads > 1 else []),
                             env=env, capture_output=True, text=True, check=True).stdout
        j = json.loads(out)
        unit = j["iterations"] if w["batch"] == 0 else j["epochs"]
        return j["seconds"] / unit, j
    out = subprocess.run([sys.executable, __file__, "--worker", impl, name, "--folder", folder,
                          "--threads", str(args.threads)], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError("%s %s: %s" % (impl, name, out.stderr.strip().splitlines()[-1:]))
    j = json.loads(out.stdout.strip().splitlines()[-1])
    return j["seconds"] / j["epochs"], None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nnlab", default=os.path.join(ROOT, "build", "nnlab"))
    ap.add_argument("--nnlab-f32", default=os.path.join(ROOT, "build-f32", "nnlab"))
    ap.add_argument("--baseline", help="another nnlab build (with nnlab bench) to compare, e.g. an older commit's")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--examples", type=int, default=0, help="examples of the mlp workloads (default 19600)")
    ap.add_argument("--json", help="also write every run's figures to this file")
    ap.add_argument("--worker", nargs=2, metavar=("IMPL", "WORKLOAD"), help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.examples:
        for k in ("mlp500", "mlp64"):
            WORKLOADS[k]["m"] = args.examples
    if args.worker:
        args.impl, args.workload = args.worker
        return run_worker(args)

    names = [n for n in args.workloads.split(",") if n]
    impls = [p for p in args.peers.split(",") if p and available(p, args)]
    times = {(n, p): [] for n in names for p in impls}
    peaks, fractions, failures = [], [], {}
    try:
        import numpy  # noqa: F401  (the workloads' data are written with it)
    except ImportError:
        sys.stderr.write("train_bench: %s has no NumPy, which writes the workloads' data; install "
                         "Debian's python3-numpy (and python3-torch, python3-sklearn for those "
                         "peers) or run the script with /usr/bin/python3\n" % sys.executable)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        for n in names:
            make_data(folder, n, WORKLOADS[n])
        for r in range(args.repeats):
            for n in names:
                for p in impls:
                    try:
                        t, j = one_run(p, n, WORKLOADS[n], folder, args)
                    except (RuntimeError, subprocess.CalledProcessError) as e:
                        failures[(n, p)] = str(e)
                        continue
                    times[(n, p)].append(t)
                    if j and p == "nnlab" and n == "mlp500" and j.get("dgemm_peak_gflops"):
                        peaks.append(j["dgemm_peak_gflops"])
                        fractions.append(j["gflops"] / j["dgemm_peak_gflops"])
                    print("round %d %-8s %-10s %.4g" % (r + 1, n, p, t), file=sys.stderr, flush=True)
    print("%d thread%s, %s time; medians of %d alternating rounds; ratio = peer / nnlab (f32 peers: / nnlab_f32), "
          "median of per-round ratios" % (args.threads, "" if args.threads == 1 else "s",
                                          "process CPU" if args.threads == 1 else "wall", args.repeats))
    if peaks:
        print("dgemm peak (2048^3) %.1f GFLOP/s; nnlab mlp500 at %.0f%% of it"
              % (statistics.median(peaks), 100 * statistics.median(fractions)))
    print("| workload | unit | " + " | ".join(impls) + " |")
    print("|---|---|" + "---|" * len(impls))
    for n in names:
        w = WORKLOADS[n]
        scale = 1e6 if w["batch"] == 0 else 1.0
        cells = []
        for p in impls:
            v = times[(n, p)]
            if not v:
                cells.append("failed" if (n, p) in failures else "-")
                continue
            cell = "%.4g" % (scale * statistics.median(v))
            # float32 peers against nnlab's float build, the others against f64
            ref = "nnlab_f32" if p.endswith("f32") and "nnlab_f32" in impls else "nnlab"
            base = times.get((n, ref), [])
            if p not in ("nnlab", "nnlab_f32") and base:
                ratios = [a / b for a, b in zip(v, base)]
                cell += " (%.2fx)" % statistics.median(ratios)
            cells.append(cell)
        print("| %s | %s | %s |" % (n, per_unit(w), " | ".join(cells)))
    for k, v in failures.items():
        print("failed: %s %s: %s" % (k[0], k[1], v))
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"%s/%s" % k: v for k, v in times.items()}, f)
        os.replace(tmp, args.json)  # whole or not at all


if __name__ == "__main__":
    sys.exit(main())
