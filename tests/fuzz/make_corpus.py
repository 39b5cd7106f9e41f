#!/usr/bin/python3
"""make_corpus.py: writes the seed corpus of the fuzz harnesses into
tests/fuzz/corpus/<harness>/ (committed; rerun after changing a format).

Every seed is a small valid input (plus a few near misses), so that
mutations start inside the formats: experiment files with and without -s
lines, .npy files of every accepted dtype, CSV tables, CIFAR-10 and IDX
folders as multi-part inputs (parts cut at the line "@@@@", see fuzz.h),
and feature cache files with their checksum. Needs NumPy (python3-numpy).
"""
import gzip
import io
import os
import shutil
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
SEP = b"\n@@@@\n"


def write(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy_bytes(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def experiments():
    src = os.path.join(HERE, "..", "..", "experiments")
    for name in ["init_he", "optim_adam", "reg_dropout", "reg_l2", "optim_momentum"]:
        with open(os.path.join(src, name + ".cfg")) as f:
            text = f.read()
        write("experiment", name + ".cfg", text)
    small = ('name = "tiny"; seed = 7;\n'
             'data = { plugin = "planar"; shape = "moons"; n_train = 16; n_test = 4; n_val = 4; };\n'
             'model = { hidden = [3]; activation = "tanh"; };\n'
             'init = { plugin = "xavier"; };\n'
             'optim = { plugin = "adam"; lr = 0.01; schedule = { type = "cosine"; t_max = 3; }; };\n'
             'reg = ( { plugin = "l2"; lambda = 0.01; }, { plugin = "dropout"; keep_prob = 0.9; } );\n'
             'train = { epochs = 3; batch_size = 4; log_every = 1; clip_norm = 1.0; };\n'
             'output = { plots = false; weights = false; };\n')
    write("experiment", "tiny.cfg", small)
    write("experiment", "tiny_overrides.cfg",
          "#-s train.epochs=2\n#-s model.hidden=[4, 2]\n#-s optim.lr=0.5\n" + small)
    write("experiment", "big_ints.cfg",
          "#-s seed=3000000000\n" + small.replace("seed = 7", "seed = 4294967295L")
          .replace("epochs = 3", "epochs = 2L"))
    write("experiment", "plateau.cfg", small.replace(
        'schedule = { type = "cosine"; t_max = 3; }',
        'schedule = { type = "plateau"; patience = 0; factor = 0.5; monitor = "val_accuracy"; }'))
    write("experiment", "csv.cfg", 'data = { plugin = "csv"; x_train = "x.csv"; };\n')
    write("experiment", "bad_key.cfg", small.replace("epochs", "epoch"))


def sweeps():
    src = os.path.join(HERE, "..", "..", "experiments")
    with open(os.path.join(src, "moons_sweep.cfg")) as f:
        write("sweep", "moons_sweep.cfg", f.read())
    base = ('name = "s"; seed = 3;\n'
            'data = { plugin = "planar"; shape = "moons"; n_train = 16; n_val = 8; n_test = 4; };\n'
            'model = { hidden = [3]; };\n'
            'optim = { plugin = "adam"; lr = 0.01; };\n'
            'reg = ( { plugin = "l2"; lambda = 0.0; } );\n'
            'train = { epochs = 4; batch_size = 4; log_every = 1; };\n')
    write("sweep", "grid.cfg", base + 'sweep = { params = ( { key = "optim.lr"; values = [0.1, 0.01]; },\n'
          '  { key = "model.hidden"; values = ([4], [8, 4]); } ); repeats = 2; };\n')
    write("sweep", "axes.cfg", "#-g optim.lr=0.1,0.01\n#-g model.hidden=[4],[2, 2]\n#-g train.epochs=2,3\n" + base)
    write("sweep", "random.cfg", base + 'sweep = { method = "random"; trials = 6; seed = 7; metric = "val_accuracy";\n'
          '  params = ( { key = "optim.lr"; log_uniform = [1e-4, 0.3]; },\n'
          '             { key = "train.batch_size"; log_int = [2, 16]; },\n'
          '             { key = "train.log_every"; int = [1, 3]; },\n'
          '             { key = "reg[0].lambda"; uniform = [0.0, 3.0]; },\n'
          '             { key = "model.activation"; choice = ("relu", "tanh"); } ); };\n')
    write("sweep", "halving.cfg", base + 'sweep = { method = "halving"; trials = 9; eta = 3; max_epochs = 9;\n'
          '  params = ( { key = "optim.lr"; log_uniform = [1e-3, 1.0]; } ); };\n')
    write("sweep", "bad_key.cfg", base + 'sweep = { params = ( { key = "optim.lrr"; values = [0.1]; } ); };\n')


def npy():
    arrays = {
        "f8_2d": np.arange(12, dtype="<f8").reshape(3, 4) / 7,
        "f4_2d": np.linspace(-1, 1, 6, dtype="<f4").reshape(2, 3),
        "i1": np.array([-3, 0, 5], dtype="i1"),
        "i2": np.array([[1, -2], [3, 4]], dtype="<i2"),
        "i4": np.array([0, 1, 2, 1], dtype="<i4"),
        "i8": np.array([7, -9], dtype="<i8"),
        "u1": np.array([255, 0], dtype="u1"),
        "u2": np.array([65535], dtype="<u2"),
        "u4": np.array([[1], [2], [3]], dtype="<u4"),
        "u8": np.array([1 << 40], dtype="<u8"),
        "bool": np.array([True, False, True]),
        "scalar": np.array(3.5),
        "empty": np.zeros((0, 3)),
    }
    for name, a in arrays.items():
        write("npy", name + ".npy", npy_bytes(a))
    v2 = bytearray(npy_bytes(np.ones((2, 2))))
    write("npy", "fortran.npy", npy_bytes(np.asfortranarray(np.ones((2, 3)))))
    write("npy", "big_endian.npy", npy_bytes(np.array([1.0, 2.0], dtype=">f8")))
    write("npy", "truncated.npy", bytes(v2[:-5]))
    b = io.BytesIO()
    np.lib.format.write_array(b, np.arange(4.0), version=(2, 0))
    write("npy", "v2.npy", b.getvalue())


def csv():
    body = b""
    write("csv", "plain", body + SEP + b"1.0,2.0,0\n3.5,-1,1\n0,0,1\n")
    write("csv", "header", b'header = true; delimiter = "comma";' + SEP
          + b"a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n")
    write("csv", "names_val", b"label_column = 0;" + SEP + b"x 1 2\ny 3 4\nx 5 6\n"
          + SEP + b"" + SEP + b"y 1 1\nx 2 2\n")
    write("csv", "separate_y", b'delimiter = "tab";' + SEP + b"1\t2\n3\t4\n" + SEP + b"0\n1\n")
    write("csv", "quoted", b'delimiter = "semicolon";' + SEP
          + b'# a comment\n"1,5";2;0\n\n 3 ; 4 ;1\r\n')
    write("csv", "bad_row", b"" + SEP + b"1,2,0\n3,1\n")


def cifar_record(label, seed):
    rng = np.random.default_rng(seed)
    return bytes([label]) + rng.integers(0, 256, 3072, dtype=np.uint8).tobytes()


def cifar():
    meta = b"airplane\nautomobile\nbird\ncat\n"
    batch = cifar_record(0, 1) + cifar_record(3, 2)
    test = cifar_record(1, 3)
    body = b'num_training = 2; num_validation = 1; num_test = 1; features = ["hog", "hue_hist"];'
    write("cifar", "hog_hue", body + SEP + meta + SEP + batch + SEP + test)
    body2 = (b'num_training = 3; num_validation = 0; num_test = 1; features = ["pixels"]; '
             b'bias = true; normalize = false;')
    write("cifar", "pixels", body2 + SEP + meta + SEP + batch + SEP + test)
    body3 = b'num_training = 1; num_validation = 1; num_test = 1; hog_cell = 5; hue_bins = 255; grey = "bt601";'
    write("cifar", "cells", body3 + SEP + meta + SEP + batch + SEP + test)
    write("cifar", "bad_label", body + SEP + b"a\nb\n" + SEP + batch + SEP + test)


def idx(magic, dims, data):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + data


def fashion():
    rng = np.random.default_rng(5)
    imgs = rng.integers(0, 256, (4, 8, 8), dtype=np.uint8).tobytes()
    tx = idx(0x803, (4, 8, 8), imgs)
    ty = idx(0x801, (4,), bytes([0, 9, 3, 3]))
    sx = idx(0x803, (2, 8, 8), imgs[:128])
    sy = idx(0x801, (2,), bytes([1, 2]))
    body = b'num_training = 3; num_validation = 1; num_test = 2; hog_cell = 4; features = ["hog", "pixels"];'
    write("idx", "plain", body + SEP + SEP.join([tx, ty, sx, sy]))
    gz = [gzip.compress(p, mtime=0) for p in (tx, ty, sx, sy)]
    write("idx", "gzip", body + SEP + SEP.join(gz))
    write("idx", "mixed", b'num_training = 2; num_validation = 0; num_test = 1; features = ["pixels"]; bias = true;'
          + SEP + SEP.join([gz[0], ty, sx, gz[3]]))
    write("idx", "truncated", body + SEP + SEP.join([tx[:-3], ty, sx, sy]))


def fnv1a(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def cache_file(key, shapes, seed):
    m_train, m_val, m_test, d = shapes
    x = np.random.default_rng(seed).standard_normal((m_train + m_val + m_test) * d)
    head = b"NNLABFC2" + struct.pack("<IIQ", 0x01020304, 8, len(key)) + key
    head += struct.pack("<4Q", *shapes)
    body = head + x.astype("<f8").tobytes()
    return body + struct.pack("<Q", fnv1a(body))


def cache():
    write("cache", "small", cache_file(b"fuzz key", (3, 1, 2, 4), 1))
    write("cache", "keyed", cache_file(b"cifar_features format 1 real 8\nhog_cell 8\n", (2, 0, 1, 5), 2))
    write("cache", "no_val_test", cache_file(b"k", (5, 0, 0, 3), 3))
    bad = bytearray(cache_file(b"fuzz key", (3, 1, 2, 4), 4))
    bad[60] ^= 1
    write("cache", "bad_sum", bytes(bad))
    write("cache", "old_format", b"NNLABFC1" + cache_file(b"fuzz key", (3, 1, 2, 4), 1)[8:-8])


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    experiments()
    sweeps()
    npy()
    csv()
    cifar()
    fashion()
    cache()


if __name__ == "__main__":
    main()
