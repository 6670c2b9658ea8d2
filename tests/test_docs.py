"""docs/: every code quote matches the source (tools/sync_docs.py --check), links resolve,
and the quoting tool itself finds what it is asked for and reports what it cannot."""
import importlib.util
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


def _load_tool():
    spec = importlib.util.spec_from_file_location("sync_docs", os.path.join(ROOT, "tools", "sync_docs.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


sync = _load_tool()
PAGES = sync.doc_pages(DOCS)


def test_there_are_pages_with_quotes():
    names = {os.path.basename(p) for p in PAGES}
    for want in ("README.md", "architecture.md", "autograd.md", "gemm.md", "convolution.md",
                 "pooling.md", "softmax_cross_entropy.md", "rnn.md", "optimizers.md"):
        assert want in names
    total = sum(len(sync.QUOTE_RE.findall(open(p, encoding="utf-8").read())) for p in PAGES)
    assert total >= 30


@pytest.mark.parametrize("page", PAGES, ids=[os.path.relpath(p, DOCS) for p in PAGES])
def test_quotes_match_source(page):
    with open(page, encoding="utf-8") as fh:
        text = fh.read()
    _, stale, errors = sync.sync_text(text, page_dir=os.path.dirname(page))
    assert not errors, f"broken quote markers in {page}: {errors}"
    assert not stale, (f"stale code quotes in {os.path.relpath(page, ROOT)}: {stale}\n"
                       "run: python tools/sync_docs.py")


@pytest.mark.parametrize("page", PAGES, ids=[os.path.relpath(p, DOCS) for p in PAGES])
def test_relative_links_resolve(page):
    with open(page, encoding="utf-8") as fh:
        text = fh.read()
    for target in re.findall(r"\]\(([^)#\s]+)", text):
        if "://" in target:
            continue
        assert os.path.exists(os.path.join(os.path.dirname(page), target)), f"{page}: dead link {target}"


def test_index_links_every_page():
    index = open(os.path.join(DOCS, "README.md"), encoding="utf-8").read()
    for p in PAGES:
        name = os.path.relpath(p, DOCS).replace(os.sep, "/")
        if name != "README.md" and not name.startswith("img/"):
            assert f"({name})" in index, f"docs/README.md does not link {name}"


def test_check_mode_exit_code_on_repo():
    assert sync.main(["--check"]) == 0


# ---- the tool on synthetic pages and sources ------------------------------------------

@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "pkg"
    src.mkdir()
    (src / "mod.py").write_text(
        "import functools\n\n\n@functools.lru_cache()\ndef f(x):\n    return x + 1\n\n\n"
        "class K:\n    def m(self):\n        return 2\n")
    (src / "k.pyx").write_text(
        "cdef inline int helper(int a) noexcept nogil:\n    return a\n\n\n"
        "def run(double[::1] x,\n        int n):\n    cdef int i\n    for i in range(n):\n"
        "        x[i] = 0\n\n    # still inside\n    return n\n\n\ndef after():\n    pass\n")
    (src / "k.c").write_text(
        "#include <x.h>\nint proto(int a);\n\n/* Adds one.\n * Braces in comments { do not count. */\n"
        "static int\nadd1(int a)\n{\n    if (a) { a += 1; }\n    return proto(a) + \"}\"[0];\n}\n\n"
        "#define MAKE(N) \\\nvoid fn_##N(void) \\\n{ \\\n} \\\n\nint tail(void) { return 0; }\n")
    return tmp_path


def test_extract_python_with_decorator_and_method(tree):
    code, lang = sync.extract("pkg/mod.py::f", root=str(tree))
    assert lang == "python" and code.startswith("@functools.lru_cache()\ndef f(x):") and code.endswith("x + 1")
    code, _ = sync.extract("pkg/mod.py::K.m", root=str(tree))
    assert code == "def m(self):\n    return 2"


def test_extract_cython_by_indentation(tree):
    code, lang = sync.extract("pkg/k.pyx::run", root=str(tree))
    assert lang == "cython"
    assert code.startswith("def run(double[::1] x,") and code.endswith("return n") and "after" not in code
    code, _ = sync.extract("pkg/k.pyx::helper", root=str(tree))
    assert code == "cdef inline int helper(int a) noexcept nogil:\n    return a"


def test_extract_c_function_with_comment_and_braces(tree):
    code, lang = sync.extract("pkg/k.c::add1", root=str(tree))
    assert lang == "c"
    assert code.startswith("/* Adds one.") and "static int\nadd1(int a)" in code
    assert code.endswith("}") and "tail" not in code and "proto(int a);" not in code


def test_extract_regex_range(tree):
    code, _ = sync.extract('pkg/k.c start="^#define MAKE" end="^} "', root=str(tree))
    assert code.splitlines()[0] == "#define MAKE(N) \\" and code.splitlines()[-1] == "} \\"


@pytest.mark.parametrize("spec", ["pkg/mod.py::nope", "pkg/k.pyx::nope", "pkg/k.c::nope",
                                  "pkg/missing.py::f", 'pkg/k.c start="^zzz" end="x"',
                                  "pkg/k.c::proto"])
def test_missing_symbol_is_an_error(tree, spec):
    page = f"# t\n\n<!-- quote: {spec} -->\n```\nold\n```\n<!-- /quote -->\n"
    _, stale, errors = sync.sync_text(page, root=str(tree), page_dir=str(tree))
    assert errors and not stale


def test_stale_quote_is_reported_and_rewritten(tree):
    page = "intro\n<!-- quote: pkg/mod.py::K.m -->\n```python\ndef m(self):\n    return 1\n```\n<!-- /quote -->\nend\n"
    new, stale, errors = sync.sync_text(page, root=str(tree), page_dir=str(tree))
    assert stale == ["pkg/mod.py::K.m"] and not errors
    assert "return 2" in new and new.startswith("intro\n") and new.endswith("<!-- /quote -->\nend\n")
    again, stale2, _ = sync.sync_text(new, root=str(tree), page_dir=str(tree))
    assert again == new and not stale2


def test_unclosed_marker_is_an_error(tree):
    _, _, errors = sync.sync_text("<!-- quote: pkg/mod.py::f -->\n```\n```\n", root=str(tree),
                                  page_dir=str(tree))
    assert errors


def test_autograd_page_worked_example():
    fastnn = pytest.importorskip("fastnn")
    a = fastnn.tensor([2.0], requires_grad=True)
    b = fastnn.tensor([3.0], requires_grad=True)
    d = a * b + a
    d.backward()
    assert float(a.grad.data[0]) == 4.0 and float(b.grad.data[0]) == 2.0


def test_bench_output_marker_is_filled_with_the_report():
    seen = []

    def run(cmd):
        seen.append(cmd)
        return "table line 1\ntable line 2\n"
    page = "intro\n<!-- bench-output: --ladder --sizes 64 -->\nold\n<!-- /bench-output -->\nend\n"
    new = sync.output_page(page, os.path.join(DOCS, "x.md"), run)
    assert seen[0][1:] == ["-m", "fastnn.bench", "--ladder", "--sizes", "64"]
    assert "old" not in new and new.startswith("intro\n") and new.endswith("<!-- /bench-output -->\nend\n")
    assert "`python -m fastnn.bench --ladder --sizes 64` printed:\n\n```text\ntable line 1\ntable line 2\n```\n" in new
    # the check mode never runs or compares it
    assert sync.sync_text(new)[1:] == ([], [])
