#!/usr/bin/python3
"""Writes tests/data/image_features_ref.txt, the reference vectors for
tests/test_image_features.c.

CS231n's features.py (assignment 1) is re-implemented below with the same
NumPy/SciPy/Matplotlib calls, so it reproduces the shipped code to the bit:
grey = rgb . [0.299, 0.587, 0.144], forward differences, unfolded orientation,
scipy.ndimage.uniform_filter cell means, matplotlib's rgb_to_hsv and
np.histogram(density=True). The script first checks that this
re-implementation equals the course's own numbers (the shared JSON, when it is
present), then writes those numbers plus extra vectors of its own: other cell
sizes, the BT.601 grey weights, other bin counts, colour edge cases and grey
28x28 images such as Fashion-MNIST's.

Run with Debian's python3 (NumPy 1.24, SciPy 1.10, Matplotlib 3.6):
    /usr/bin/python3 tests/gen_feature_reference.py [path/to/cs231n_features.json]

Output format (whitespace-separated tokens, '#' starts a comment line):
    case <name> <height> <width> <channels>
    <height*width*channels pixel values, HWC>
    hog <cs231n|bt601|grey> <cell> <source> <n>  then n values
    hue <nbin> <source> <n>                      then n values
    end
<source> is "course" for the numbers copied from the course's output and
"numpy" for numbers computed here.
"""
import json
import os
import sys

import matplotlib.colors
import numpy as np
from scipy.ndimage import uniform_filter

GREY_WEIGHTS = {"cs231n": [0.299, 0.587, 0.144], "bt601": [0.299, 0.587, 0.114]}
SHARED_JSON = "/work/shared/reference/cs231n_features.json"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                   "image_features_ref.txt")


# ---- CS231n features.py, with the grey weights and cell size as arguments ----

def rgb2gray(rgb, weights):
    # features.py has np.dot(rgb[..., :3], weights). The course's numbers equal
    # the plain left-to-right sum (r*w0 + g*w1) + b*w2 with no fused
    # multiply-add; an OpenBLAS built for AVX-512 fuses, which moves the grey
    # values by an ulp, so the sum is spelled out here.
    rgb = np.asarray(rgb, dtype=float)
    return (rgb[..., 0] * weights[0] + rgb[..., 1] * weights[1]) + rgb[..., 2] * weights[2]


def hog_feature(im, grey="cs231n", cell=8):
    """features.hog_feature; grey='grey' means im is already a grey image."""
    image = rgb2gray(im, GREY_WEIGHTS[grey]) if grey != "grey" else np.asarray(im, float)
    sx, sy = image.shape
    orientations = 9
    cx, cy = (cell, cell)
    gx = np.zeros(image.shape)
    gy = np.zeros(image.shape)
    gx[:, :-1] = np.diff(image, n=1, axis=1)
    gy[:-1, :] = np.diff(image, n=1, axis=0)
    grad_mag = np.sqrt(gx ** 2 + gy ** 2)
    grad_ori = np.arctan2(gy, (gx + 1e-15)) * (180 / np.pi) + 90
    n_cellsx = int(np.floor(sx / cx))
    n_cellsy = int(np.floor(sy / cy))
    orientation_histogram = np.zeros((n_cellsx, n_cellsy, orientations))
    for i in range(orientations):
        temp_ori = np.where(grad_ori < 180 / orientations * (i + 1), grad_ori, 0)
        temp_ori = np.where(grad_ori >= 180 / orientations * i, temp_ori, 0)
        cond2 = temp_ori > 0
        temp_mag = np.where(cond2, grad_mag, 0)
        # [:n] only matters for cell sizes that do not divide the image, where
        # the original would fail with a shape mismatch.
        cells = uniform_filter(temp_mag, size=(cx, cy))[int(cx / 2)::cx, int(cy / 2)::cy]
        orientation_histogram[:, :, i] = cells[:n_cellsx, :n_cellsy].T
    return orientation_histogram.ravel()


def color_histogram_hsv(im, nbin=10, xmin=0, xmax=255, normalized=True):
    bins = np.linspace(xmin, xmax, nbin + 1)
    hsv = matplotlib.colors.rgb_to_hsv(im / xmax) * xmax
    imhist, bin_edges = np.histogram(hsv[:, :, 0], bins=bins, density=normalized)
    imhist = imhist * np.diff(bin_edges)
    return imhist


# ---- test images ---------------------------------------------------------------

def colour_images():
    """RGB 32x32 images that exercise hue ties, saturation and flat areas."""
    rs = np.random.RandomState(7)
    out = {}
    out["rand_a"] = rs.randint(0, 256, (32, 32, 3))
    out["rand_b"] = rs.randint(0, 256, (32, 32, 3))
    lo = rs.randint(100, 104, (32, 32, 3))  # tiny deltas: hue near bin edges
    out["lowcontrast"] = lo
    ties = np.zeros((32, 32, 3), int)
    vals = [0, 1, 127, 128, 254, 255]
    for r in range(32):
        for c in range(32):
            ties[r, c] = [vals[(r + c) % 6], vals[(r // 2) % 6], vals[(c // 3) % 6]]
    out["ties"] = ties
    hue = np.zeros((32, 32, 3), int)
    for r in range(32):
        for c in range(32):
            h = (r * 32 + c) / 1024.0
            rgb = matplotlib.colors.hsv_to_rgb([h, 1.0, 1.0])
            hue[r, c] = np.round(rgb * 255)
    out["hue_sweep"] = hue
    blocks = np.zeros((32, 32, 3), int)
    blocks[:16, :16] = [255, 0, 0]
    blocks[:16, 16:] = [0, 255, 0]
    blocks[16:, :16] = [0, 0, 255]
    blocks[16:, 16:] = [255, 255, 0]
    out["blocks"] = blocks
    sparse = np.where(rs.rand(32, 32, 1) < 0.1, rs.randint(0, 256, (32, 32, 3)), 40)
    out["sparse"] = sparse
    return {k: v.astype(np.uint8) for k, v in out.items()}


def grey_images():
    """Grey 28x28 images like Fashion-MNIST's (mostly black background)."""
    rs = np.random.RandomState(11)
    out = {}
    out["g_rand"] = rs.randint(0, 256, (28, 28, 1))
    blob = np.zeros((28, 28, 1), int)
    blob[6:22, 8:20, 0] = rs.randint(50, 256, (16, 12))
    out["g_blob"] = blob
    ramp = np.zeros((28, 28, 1), int)
    ramp[:, :, 0] = np.add.outer(np.arange(28) * 3, np.arange(28) * 5) % 256
    out["g_ramp"] = ramp
    return {k: v.astype(np.uint8) for k, v in out.items()}


# ---- output --------------------------------------------------------------------

def fmt(values):
    return "\n".join(" ".join(repr(float(v)) for v in values[i:i + 8])
                     for i in range(0, len(values), 8))


def write_case(f, name, im, hogs, hues):
    """hogs: (grey, cell, source, values); hues: (nbin, source, values)."""
    h, w, c = im.shape
    f.write("case %s %d %d %d\n" % (name, h, w, c))
    flat = im.reshape(-1)
    for i in range(0, len(flat), 32):
        f.write(" ".join(str(int(v)) for v in flat[i:i + 32]) + "\n")
    for grey, cell, source, vec in hogs:
        f.write("hog %s %d %s %d\n%s\n" % (grey, cell, source, len(vec), fmt(vec)))
    for nbin, source, vec in hues:
        f.write("hue %d %s %d\n%s\n" % (nbin, source, len(vec), fmt(vec)))
    f.write("end\n")


def check_against_course(ref):
    """The re-implementation must equal the course's numbers exactly."""
    worst = 0.0
    for n, im in enumerate(np.array(ref["images"], dtype=np.uint8)):
        d1 = np.abs(hog_feature(im) - np.array(ref["hog"][n])).max()
        d2 = np.abs(color_histogram_hsv(im) - np.array(ref["hue_hist_nbin10"][n])).max()
        worst = max(worst, d1, d2)
    print("re-implementation vs course numbers: max |diff| = %g" % worst)
    if worst != 0.0:
        sys.exit("the NumPy re-implementation does not reproduce the course numbers")


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else SHARED_JSON
    with open(OUT, "w") as f:
        f.write("# generated by tests/gen_feature_reference.py; do not edit\n")
        if os.path.exists(src):
            ref = json.load(open(src))
            check_against_course(ref)
            for n, name in enumerate(ref["names"]):
                im = np.array(ref["images"][n], dtype=np.uint8)
                write_case(f, name, im,
                           [("cs231n", 8, "course", ref["hog"][n]),
                            ("bt601", 8, "numpy", hog_feature(im, "bt601", 8)),
                            ("cs231n", 4, "numpy", hog_feature(im, "cs231n", 4)),
                            ("cs231n", 5, "numpy", hog_feature(im, "cs231n", 5))],
                           [(10, "course", ref["hue_hist_nbin10"][n]),
                            (7, "numpy", color_histogram_hsv(im, 7)),
                            (16, "numpy", color_histogram_hsv(im, 16))])
        else:
            print("warning: %s not found; writing only self-generated vectors" % src)
        for name, im in colour_images().items():
            write_case(f, name, im,
                       [("cs231n", 8, "numpy", hog_feature(im)),
                        ("bt601", 8, "numpy", hog_feature(im, "bt601", 8)),
                        ("cs231n", 6, "numpy", hog_feature(im, "cs231n", 6))],
                       [(10, "numpy", color_histogram_hsv(im)),
                        (3, "numpy", color_histogram_hsv(im, 3)),
                        (32, "numpy", color_histogram_hsv(im, 32))])
        for name, im in grey_images().items():
            write_case(f, name, im,
                       [("grey", c, "numpy", hog_feature(im[:, :, 0], "grey", c))
                        for c in (7, 4, 14)],
                       [])
    print("wrote", OUT)


if __name__ == "__main__":
    main()
