#!/usr/bin/python3
"""Per-image feature extraction time: nnlab's C code vs CS231n's NumPy code vs
scikit-image's hog, on the same 1000 RGB 32x32 images (a benchmark, not a test).

    /usr/bin/python3 experiments/bench/features_bench.py [--cifar DIR] [-n 1000]
                                                        [--repeats 7] [--cc cc]

The C side is plugins/lib/imfeat/imfeat.c, compiled here with cc
(-O2 -ffp-contract=off, as the project builds it) into a small driver
(features_bench.c) and run on one thread. The NumPy side is features.py's
hog_feature and color_histogram_hsv as re-implemented in
tests/gen_feature_reference.py, with the original np.dot grey conversion.
scikit-image's hog runs on the same grey image with 9 orientations, 8x8 cells
and 1x1 blocks. Every time is the median over the repeats of (CPU time of the
timing thread for all images) / n, so programs sharing the cores do not
inflate it. Images: the first n of <DIR>/data_batch_1.bin with --cifar, else
smooth random colour fields with noise (seeded).
Goal: C >= 30x faster than NumPy (hog + hue) and >= 10x faster than skimage.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import gen_feature_reference as ref  # noqa: E402  (features.py re-implemented)


def features_py_rgb2gray(rgb, weights):
    return np.dot(rgb[..., :3], weights)  # as shipped in features.py


def load_images(args):
    if args.cifar:
        raw = np.fromfile(os.path.join(args.cifar, "data_batch_1.bin"), np.uint8)
        rec = raw[: args.n * 3073].reshape(args.n, 3073)[:, 1:]
        return np.ascontiguousarray(rec.reshape(args.n, 3, 32, 32).transpose(0, 2, 3, 1))
    rs = np.random.RandomState(2024)
    coarse = rs.randint(0, 256, (args.n, 5, 5, 3)).astype(float)
    x = np.linspace(0, 4, 32)
    i0 = np.minimum(x.astype(int), 3)
    fr = (x - i0)[:, None]
    rows = coarse[:, i0] * (1 - fr)[None, :, :, None] + coarse[:, i0 + 1] * fr[None, :, :, None]
    fc = (x - i0)[None, :, None]
    img = rows[:, :, i0] * (1 - fc)[None] + rows[:, :, i0 + 1] * fc[None]
    img += rs.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def median_per_image(fn, images, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.thread_time()
        for im in images:
            fn(im)
        times.append((time.thread_time() - t0) / len(images) * 1e6)
    return statistics.median(times)


def run_c(args, images, tmp):
    exe = os.path.join(tmp, "features_bench")
    src = os.path.join(ROOT, "experiments", "bench", "features_bench.c")
    feat_dir = os.path.join(ROOT, "plugins", "lib", "imfeat")
    subprocess.run([args.cc, "-O2", "-std=c11", "-ffp-contract=off", "-D_DEFAULT_SOURCE",
                    "-I", os.path.join(ROOT, "core", "include"), "-I", feat_dir, src,
                    os.path.join(feat_dir, "imfeat.c"), "-o", exe, "-lm"], check=True)
    img_file, out_file = os.path.join(tmp, "images.bin"), os.path.join(tmp, "features.bin")
    images.tofile(img_file)
    res = subprocess.run([exe, img_file, str(len(images)), str(args.repeats * 4), out_file],
                         check=True, capture_output=True, text=True).stdout
    times = dict(line.rsplit(" ", 1) for line in res.strip().splitlines())
    feats = np.fromfile(out_file, np.float64).reshape(len(images), 154)
    return {k: float(v) for k, v in times.items()}, feats


def run_skimage(images, repeats):
    try:
        from skimage.feature import hog
    except ImportError:
        return None
    grey = [features_py_rgb2gray(im, [0.299, 0.587, 0.144]) for im in images]
    return median_per_image(lambda g: hog(g, orientations=9, pixels_per_cell=(8, 8),
                                          cells_per_block=(1, 1), feature_vector=True),
                            grey, repeats)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cifar", help="folder of the CIFAR-10 binary version")
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--cc", default="cc")
    args = ap.parse_args()
    images = load_images(args)
    with tempfile.TemporaryDirectory() as tmp:
        c, c_feats = run_c(args, images, tmp)
    # Agreement with features.py as the course ran it (grey as a plain sum;
    # see tests/gen_feature_reference.py), before timing the np.dot original.
    np_feats = np.array([np.concatenate([ref.hog_feature(im), ref.color_histogram_hsv(im)])
                         for im in images])
    diff = np.abs(np_feats - c_feats)
    ref.rgb2gray = features_py_rgb2gray
    py_hog = median_per_image(ref.hog_feature, images, args.repeats)
    py_hue = median_per_image(ref.color_histogram_hsv, images, args.repeats)
    sk_hog = run_skimage(images, args.repeats)
    print("%d images (%s), single thread, CPU time, median of %d repeats (C: %d)"
          % (len(images), "CIFAR-10" if args.cifar else "synthetic", args.repeats,
             args.repeats * 4))
    print("max |C - NumPy| over all features: hog %.3g, hue %.3g"
          % (diff[:, :144].max(), diff[:, 144:].max()))
    print("%-22s %12s %12s %12s" % ("us per image", "hog", "hue", "hog+hue"))
    print("%-22s %12.2f %12.2f %12.2f" % ("nnlab C", c["hog"], c["hue"], c["hog+hue"]))
    print("%-22s %12.2f %12.2f %12.2f" % ("CS231n NumPy", py_hog, py_hue, py_hog + py_hue))
    if sk_hog is not None:
        print("%-22s %12.2f %12s %12s" % ("scikit-image hog", sk_hog, "-", "-"))
    ratio_np = (py_hog + py_hue) / c["hog+hue"]
    print("speed-up vs NumPy (hog+hue): %.1fx (hog %.1fx, hue %.1fx)  goal >= 30x: %s"
          % (ratio_np, py_hog / c["hog"], py_hue / c["hue"], "met" if ratio_np >= 30 else "MISSED"))
    if sk_hog is not None:
        ratio_sk = sk_hog / c["hog"]
        print("speed-up vs scikit-image (hog): %.1fx  goal >= 10x: %s"
              % (ratio_sk, "met" if ratio_sk >= 10 else "MISSED"))
    else:
        print("scikit-image not installed (apt-get install python3-skimage)")


if __name__ == "__main__":
    main()
