#!/usr/bin/python3
"""Writes tests/data/gradcheck_case.txt: the course notebook's N-parameter
gradient-check test case (gradient_check_n_test_case: layers [4, 5, 3, 1],
relu / relu / sigmoid, X 4x3, Y 1x3) and the notebook's figures, read by
tests/test_gradcheck.c. The test itself never reads the shared folder.

Run once: /usr/bin/python3 tests/gen_gradcheck_case.py [../shared/reference/gradcheck_results.json]

File format (tests/testutil.h tu_record): '#' starts a comment line; other
lines are "NAME COUNT v1 .. vCOUNT", matrices row-major, %.17g.
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "reference",
                                                        "gradcheck_results.json")
with open(src) as f:
    d = json.load(f)


def flat(v):
    if isinstance(v, list):
        return [x for e in v for x in flat(e)]
    return [float(v)]


inp = d["test_case_inputs"]
res = d["results"]
rec = d["notebook_recorded"]
rows = [
    ("X", flat(inp["X"])), ("Y", flat(inp["Y"])),
    ("W1", flat(inp["W1"])), ("b1", flat(inp["b1"])),
    ("W2", flat(inp["W2"])), ("b2", flat(inp["b2"])),
    ("W3", flat(inp["W3"])), ("b3", flat(inp["b3"])),
    ("epsilon", [d["epsilon"]]),
    ("cost", [res["fixed"]["cost_at_test_case"]]),
    ("grad_fixed", flat(res["fixed"]["backprop_grad_vector_47"])),
    ("grad_buggy", flat(res["as_shipped_buggy"]["backprop_grad_vector_47"])),
    ("difference_fixed", [res["fixed"]["difference"]]),
    ("difference_buggy", [res["as_shipped_buggy"]["difference"]]),
    ("recorded_fixed", [rec["fixed (amanchadha output)"]]),
    ("recorded_buggy", [rec["buggy (Kulbear output + official expected)"]]),
]
out = os.path.join(here, "data", "gradcheck_case.txt")
with open(out, "w") as f:
    f.write("# gradient_check_n test case and results: tests/gen_gradcheck_case.py\n")
    f.write("# source: shared/reference/gradcheck_results.json (course notebook 'Gradient Checking')\n")
    for name, v in rows:
        f.write("%s %d %s\n" % (name, len(v), " ".join("%.17g" % x for x in v)))
print("wrote", out)
