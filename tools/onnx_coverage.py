"""Measure fastnn's ONNX importer on the ONNX project's node conformance cases
(onnx.backend.test) and write the per-operator pass-rate table into
docs/onnx.md (between the coverage markers).

    python tools/onnx_coverage.py            # print the table and the failures
    python tools/onnx_coverage.py --write    # also update docs/onnx.md
"""
import argparse
import os
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

BEGIN, END = "<!-- onnx-coverage:begin -->", "<!-- onnx-coverage:end -->"


def measure(ops=None):
    import onnx
    from fastnn.onnx.backend import conformance_cases, check_case, COVERED_OPS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = conformance_cases(ops or COVERED_OPS)
    rows, failures = [], []
    for op, items in cases.items():
        bad = []
        for case in items:
            err = check_case(case)
            if err is not None:
                bad.append((case.name, err))
        rows.append((op, len(items) - len(bad), len(items)))
        failures += bad
    return onnx.__version__, rows, failures


def table(version, rows, failures, extra_rows=()):
    passed = sum(r[1] for r in rows)
    total = sum(r[2] for r in rows)
    lines = [f"Measured with onnx {version}'s node test cases (`onnx.backend.test`, the "
             f"single-operator cases of the operators below; `python tools/onnx_coverage.py "
             f"--write` regenerates this table): **{passed} of {total} pass "
             f"({100.0 * passed / max(total, 1):.1f}%)**.", "",
             "| operator | passed | cases | rate |", "|---|---:|---:|---:|"]
    for op, p, n in rows:
        lines.append(f"| {op} | {p} | {n} | {100.0 * p / n:.0f}% |" if n else
                     f"| {op} | - | 0 | - |")
    if failures:
        lines += ["", "Cases that fail:", ""]
        lines += [f"- `{name}`: {err[:160]}" for name, err in failures]
    if extra_rows:
        lines += ["", "The other operators the importer has, on the same kind of cases (most "
                  "failures are refusals at load: antialiased Resize, 8/4/2-bit "
                  "types, sequence and optional values):", "",
                  "| operator | passed | cases |", "|---|---:|---:|"]
        lines += [f"| {op} | {p} | {n} |" for op, p, n in extra_rows]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="update docs/onnx.md")
    args = ap.parse_args()
    from fastnn.onnx.backend import EXTRA_OPS
    version, rows, failures = measure()
    text = table(version, rows, failures, measure(EXTRA_OPS)[1])
    print(text)
    if args.write:
        path = os.path.join(ROOT, "docs", "onnx.md")
        doc = open(path).read()
        i, j = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        with open(path, "w") as f:
            f.write(doc[:i] + "\n" + text + "\n" + doc[j:])


if __name__ == "__main__":
    main()
