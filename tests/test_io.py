"""fastnn.save / fastnn.load: safetensors layout, nested structures, validation, atomic writes."""
import json
import os
import struct

import numpy as np
import pytest

import fastnn
from fastnn import io as fio
from fastnn import optim

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8,
          "BOOL": np.bool_, "F16": np.float16, "I8": np.int8, "I16": np.int16, "U16": np.uint16}


def _sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "b":
        return np.asarray(rng.random(shape) > 0.5)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 100, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return n, json.loads(f.read(n))


@pytest.mark.parametrize("code,dtype", list(DTYPES.items()))
def test_round_trip_dtypes(tmp_path, code, dtype):
    sd = {"a": fastnn.tensor(_sample(dtype, (3, 5))), "b": _sample(dtype, (7,), 1),
          "scalar": _sample(dtype, (), 2), "empty": _sample(dtype, (0, 4), 3)}
    path = tmp_path / "m.safetensors"
    fastnn.save(sd, path)
    out = fastnn.load(path)
    assert list(out) == list(sd)
    for k, v in sd.items():
        ref = v._data if isinstance(v, fastnn.Tensor) else v
        # a saved ndarray loads back as an ndarray, a Tensor as a Tensor
        assert isinstance(out[k], fastnn.Tensor if isinstance(v, fastnn.Tensor) else np.ndarray)
        assert out[k].dtype == ref.dtype and out[k].shape == ref.shape
        np.testing.assert_array_equal(np.asarray(out[k]), ref)
    n, header = _header(path)
    assert (8 + n) % 8 == 0 and header["a"]["dtype"] == code and header["a"]["shape"] == [3, 5]
    # plain safetensors; the metadata only lists which entries were NumPy arrays
    assert header["__metadata__"] == {"fastnn.arrays": '["b", "scalar", "empty"]'}


def test_mixed_dtypes_layout_and_writable(tmp_path):
    sd = {"u8": np.arange(3, dtype=np.uint8), "f64": np.ones(3), "f16": np.ones(5, np.float16),
          "i32": np.arange(2, dtype=np.int32)}
    fastnn.save(sd, tmp_path / "x")
    out = fastnn.load(tmp_path / "x")
    assert list(out) == ["u8", "f64", "f16", "i32"]
    _, header = _header(tmp_path / "x")
    header.pop("__metadata__")
    for name, info in header.items():  # every tensor aligned to its item size, no gaps
        assert info["data_offsets"][0] % sd[name].dtype.itemsize == 0
    np.asarray(out["f64"])[0] = 5  # loaded arrays are ordinary writable arrays
    assert np.asarray(out["f64"])[0] == 5


def test_non_contiguous_and_big_endian_inputs(tmp_path):
    a = np.arange(12.0).reshape(3, 4).T
    b = np.arange(4, dtype=">i4")
    fastnn.save({"a": a, "b": b}, tmp_path / "x")
    out = fastnn.load(tmp_path / "x")
    np.testing.assert_array_equal(np.asarray(out["a"]), a)
    np.testing.assert_array_equal(np.asarray(out["b"]), b)


def test_metadata(tmp_path):
    fastnn.save({"w": np.ones(2)}, tmp_path / "x", metadata={"format": "pt", "epoch": "3"})
    obj, meta = fastnn.load(tmp_path / "x", return_metadata=True)
    assert meta == {"format": "pt", "epoch": "3"} and list(obj) == ["w"]
    with pytest.raises(TypeError):
        fastnn.save({"w": np.ones(2)}, tmp_path / "y", metadata={"epoch": 3})


def test_nested_optimizer_state_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    params = [fastnn.tensor(rng.standard_normal((2, 3)), requires_grad=True),
              fastnn.tensor(rng.standard_normal(4), requires_grad=True)]
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.01, amsgrad=True)
    for _ in range(3):
        for p in params:
            p.grad = fastnn.tensor(rng.standard_normal(p.shape))
        opt.step()
    sd = opt.state_dict()
    fastnn.save(sd, tmp_path / "opt.safetensors")
    back = fastnn.load(tmp_path / "opt.safetensors")
    assert set(back) == {"state", "param_groups"}
    assert sorted(back["state"]) == [0, 1] and all(isinstance(k, int) for k in back["state"])
    assert back["state"][1]["step"] == 3 and isinstance(back["state"][1]["step"], int)
    for i in (0, 1):
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            np.testing.assert_array_equal(back["state"][i][key]._data, sd["state"][i][key]._data)
    assert back["param_groups"] == sd["param_groups"]
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    # the loaded state continues exactly like the original
    clones = [fastnn.tensor(p._data.copy(), requires_grad=True) for p in params]
    opt2 = optim.Adam([{"params": clones[:1]}, {"params": clones[1:]}])
    opt2.load_state_dict(back)
    g = [rng.standard_normal(p.shape) for p in params]
    for p, c, gi in zip(params, clones, g):
        p.grad, c.grad = fastnn.tensor(gi), fastnn.tensor(gi.copy())
    opt.step()
    opt2.step()
    for p, c in zip(params, clones):
        np.testing.assert_array_equal(p._data, c._data)


def test_general_structures(tmp_path):
    obj = {"model": {"layer.weight": np.ones((2, 2), np.float32)}, "epoch": 7, "loss": 0.25,
           "name": "run", "flags": [True, None, float("inf"), float("nan")], "pair": (1, np.int64(2)),
           3: "int key", "arr_in_list": [np.arange(3)]}
    fastnn.save(obj, tmp_path / "ckpt")
    back = fastnn.load(tmp_path / "ckpt")
    assert back["epoch"] == 7 and back["loss"] == 0.25 and back["name"] == "run"
    assert back[3] == "int key" and back["pair"] == (1, 2) and type(back["pair"][1]) is int
    assert back["flags"][:3] == [True, None, float("inf")] and np.isnan(back["flags"][3])
    np.testing.assert_array_equal(np.asarray(back["model"]["layer.weight"]), np.ones((2, 2)))
    np.testing.assert_array_equal(np.asarray(back["arr_in_list"][0]), np.arange(3))


def test_save_rejects_unstorable(tmp_path):
    with pytest.raises(TypeError):
        fastnn.save({"x": np.ones(2, np.complex64)}, tmp_path / "x")
    with pytest.raises(TypeError):
        fastnn.save({"x": lambda: 0}, tmp_path / "x")  # not importable by name
    with pytest.raises(ValueError, match="same|name"):
        fastnn.save({"a": {"b": np.ones(1)}, "a.b": np.ones(1)}, tmp_path / "x")
    assert not os.path.exists(tmp_path / "x")
    assert os.listdir(tmp_path) == []


def test_atomic_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    fastnn.save({"w": np.arange(4.0)}, path)
    before = path.read_bytes()
    calls = []

    def failing(f, arr):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        f.write(np.ascontiguousarray(arr).tobytes())

    monkeypatch.setattr(fio, "_write_array", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        fastnn.save({"a": np.zeros(100), "b": np.zeros(100)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]  # no temp file left behind
    monkeypatch.undo()
    np.testing.assert_array_equal(np.asarray(fastnn.load(path)["w"]), np.arange(4.0))


# --- killed saves ------------------------------------------------------------------------
# A child process saves with a hook that sleeps at a chosen point; the parent kills
# it with SIGKILL there, several times over the same target.
_KILL_CHILD = r"""
import os, sys, time
import numpy as np
import fastnn
from fastnn import io as fio
from fastnn._safetensors import atomic
mode, where, path = sys.argv[1:4]
atomic._UNNAMED_TEMP = atomic._UNNAMED_TEMP and mode == "unnamed"

def pause():
    print("INSIDE", flush=True)
    time.sleep(120)

if where == "write":          # in the middle of writing the data
    real = fio._write_array
    def slow(f, arr):
        real(f, arr)
        pause()
    fio._write_array = slow
else:                          # the temporary has its name, the rename has not happened
    fio.os.replace = lambda src, dst: pause()
fastnn.save({"a": np.arange(1000.0), "b": np.full(10, 7.0)}, path)
"""


def _kill_mid_save(path, mode, where):
    import signal
    import subprocess
    import sys
    from fastnn._child import package_root
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [package_root()] +
        os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    proc = subprocess.Popen([sys.executable, "-c", _KILL_CHILD, mode, where, str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "INSIDE", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def _temps(directory, name):
    return sorted(n for n in os.listdir(directory) if n.startswith("." + name + "."))


def _unnamed_supported(directory):
    fd = fio._open_unnamed(str(directory))
    if fd is None:
        return False
    os.close(fd)
    return True


@pytest.mark.parametrize("mode,where", [("named", "write"), ("named", "rename"),
                                        ("unnamed", "write"), ("unnamed", "rename")])
def test_killed_saves_leave_at_most_one_temp_file(tmp_path, mode, where):
    if mode == "unnamed" and not _unnamed_supported(tmp_path):
        pytest.skip("no O_TMPFILE on this platform or filesystem")
    path = tmp_path / "m.safetensors"
    fastnn.save({"good": np.arange(3.0)}, path)
    for _ in range(5):
        _kill_mid_save(path, mode, where)
        left = _temps(tmp_path, path.name)
        # an unnamed temporary dies with its process: only the instant between naming
        # it and the rename can leave one
        assert len(left) <= (0 if (mode, where) == ("unnamed", "write") else 1), left
        np.testing.assert_array_equal(np.asarray(fastnn.load(path)["good"]), np.arange(3.0))
    fastnn.save({"new": np.ones(2)}, path)
    assert _temps(tmp_path, path.name) == []
    assert list(fastnn.load(path)) == ["new"]


def _dead_pid():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_stale_temp_cleanup_deletes_only_its_own_dead_leftovers(tmp_path):
    target = "m.safetensors"
    dead, alive = _dead_pid(), os.getpid()
    old = 1_000_000_000  # 2001: before any save of this test
    files = {
        f".{target}.fastnn-{dead}-0badcafe.tmp": False,     # a killed save of this target
        f".{target}.fastnn-{alive}-0badcafe.tmp": True,     # a save in progress (live pid)
        f".other.fastnn-{dead}-0badcafe.tmp": True,         # another target
        f".{target}.x.fastnn-{dead}-0badcafe.tmp": True,    # the target "m.safetensors.x"
        f".{target}.abcd1234.tmp": True,                    # not fastnn's pattern
        f".{target}.fastnn-{dead}-0badcafe.tmp.bak": True,  # not exactly the pattern
        f".{target}.fastnn-{dead}-nothex00.tmp": True,
        f".{target}.fastnn-{dead}-00000001.tmp": "new",     # written after the save began
    }
    for name, keep in files.items():
        p = tmp_path / name
        p.write_bytes(b"x")
        if keep != "new":
            os.utime(p, (old, old))
        else:
            os.utime(p, (2 ** 33, 2 ** 33))  # in the future
    (tmp_path / f".{target}.fastnn-{dead}-11111111.tmp").mkdir()  # a directory: not a temp
    os.utime(tmp_path / f".{target}.fastnn-{dead}-11111111.tmp", (old, old))
    fastnn.save({"w": np.ones(2)}, tmp_path / target)
    left = set(os.listdir(tmp_path))
    for name, keep in files.items():
        assert (name in left) == bool(keep), name
    assert f".{target}.fastnn-{dead}-11111111.tmp" in left


# --- malformed files ------------------------------------------------------------------
def _raw(header, data=b"", pad=True):
    h = json.dumps(header).encode()
    if pad:
        h += b" " * (-(8 + len(h)) % 8)
    return struct.pack("<Q", len(h)) + h + data


def _f32(shape, offsets):
    return {"dtype": "F32", "shape": shape, "data_offsets": offsets}


BAD = {
    "too short": (b"\x01\x00", "too short"),
    "header too long": (struct.pack("<Q", 1000) + b"{}", "larger than the file"),
    "not json": (struct.pack("<Q", 8) + b"{notjson", "not valid JSON"),
    "not utf8": (struct.pack("<Q", 8) + b"\xff\xfe{}    ", "not valid JSON"),
    "json list": (_raw([1, 2]), "not a JSON object"),
    "unknown dtype": (_raw({"a": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
                      "unknown"),
    "bf16": (_raw({"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0" * 2),
             "not supported"),
    "end before begin": (_raw({"a": _f32([1], [4, 0])}, b"\0" * 4), "out of order"),
    "past end": (_raw({"a": _f32([2], [0, 8])}, b"\0" * 4), "past the end"),
    "overlap": (_raw({"a": _f32([2], [0, 8]), "b": _f32([2], [4, 12])}, b"\0" * 12), "overlap"),
    "gap": (_raw({"a": _f32([1], [0, 4]), "b": _f32([1], [8, 12])}, b"\0" * 12), "gap"),
    "trailing": (_raw({"a": _f32([1], [0, 4])}, b"\0" * 8), "trailing"),
    "shape mismatch": (_raw({"a": _f32([3], [0, 8])}, b"\0" * 8), "needs 12 bytes"),
    "negative dim": (_raw({"a": _f32([-1], [0, 0])}), "non-negative"),
    "float dim": (_raw({"a": _f32([1.0], [0, 4])}, b"\0" * 4), "non-negative"),
    "missing field": (_raw({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4), "exactly"),
    "bad offsets": (_raw({"a": _f32([1], [0])}, b"\0" * 4), "data_offsets"),
    "metadata not str": (_raw({"__metadata__": {"a": 1}}), "__metadata__"),
    "bad bool": (_raw({"a": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x00\x07"),
                 "BOOL"),
    "bad structure": (_raw({"__metadata__": {"fastnn.structure": "{\"t\": \"nope\"}"}}), "missing tensor"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_files_raise_value_error(tmp_path, case):
    blob, message = BAD[case]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(blob)
    with pytest.raises(ValueError, match=message) as info:
        fastnn.load(path)
    assert "bad.safetensors" in str(info.value)


def test_truncated_real_file(tmp_path):
    path = tmp_path / "m"
    fastnn.save({"a": np.ones(10), "b": np.ones(3, np.float32)}, path)
    blob = path.read_bytes()
    for cut in (4, 20, len(blob) - 1):
        path.write_bytes(blob[:cut])
        with pytest.raises(ValueError):
            fastnn.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        fastnn.load(tmp_path / "nope")


# --- interoperability -------------------------------------------------------------------
def test_interop_with_safetensors_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    sd = {code: _sample(dt, (2, 3), i) for i, (code, dt) in enumerate(DTYPES.items())}
    fastnn.save(sd, tmp_path / "ours", metadata={"k": "v"})
    theirs = st.load_file(str(tmp_path / "ours"))
    assert set(theirs) == set(sd)
    for k in sd:
        assert theirs[k].dtype == sd[k].dtype
        np.testing.assert_array_equal(theirs[k], sd[k])
    st.save_file(sd, str(tmp_path / "theirs"), metadata={"k": "v"})
    ours, meta = fastnn.load(tmp_path / "theirs", return_metadata=True)
    assert meta == {"k": "v"}
    for k in sd:
        np.testing.assert_array_equal(ours[k]._data, sd[k])


def test_scheduler_state_round_trip(tmp_path):
    from fastnn.optim import lr_scheduler as S
    p = fastnn.zeros(2, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    plateau = S.ReduceLROnPlateau(opt, patience=0)
    plateau.step(3.0)
    multi = S.MultiStepLR(opt, milestones=[2, 4])
    fastnn.save({"plateau": plateau.state_dict(), "multi": multi.state_dict()}, tmp_path / "s")
    back = fastnn.load(tmp_path / "s")
    assert back["plateau"]["best"] == 3.0 and back["plateau"]["mode_worse"] == float("inf")
    multi2 = S.MultiStepLR(optim.SGD([fastnn.zeros(2, requires_grad=True)], lr=1.0), milestones=[9])
    multi2.load_state_dict(back["multi"])
    for _ in range(4):
        multi2.step()
    assert multi2.get_last_lr() == [pytest.approx(0.01)]


def test_load_accepts_torch_style_arguments(tmp_path):
    fastnn.save({"w": np.ones(2)}, tmp_path / "x")
    assert list(fastnn.load(tmp_path / "x", map_location="cpu", weights_only=True)) == ["w"]
    with pytest.raises(ValueError, match="map_location"):
        fastnn.load(tmp_path / "x", map_location="cuda:0")


# --- legal but pathological files ----------------------------------------------------------
def _empty_tensors_file(path, n):
    entries = ",".join('"t%07d":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}' % i
                       for i in range(n))
    path.write_bytes(_raw(json.loads("{" + entries + "}")))


def test_many_empty_tensors_load_without_gc_passes(tmp_path):
    """1.4 million empty tensors (a 94 MB header) took 22-25 s, half of it the cyclic
    GC rescanning the growing heap; a big header now pauses it (and restores it)."""
    import gc
    path = tmp_path / "many.safetensors"
    _empty_tensors_file(path, 50_000)
    runs = []

    def count(phase, info):
        if phase == "start":
            runs.append(info["generation"])
    gc.collect()
    gc.callbacks.append(count)
    try:
        out = fastnn.load(path)
    finally:
        gc.callbacks.remove(count)
    assert len(runs) <= 2 and 2 not in runs, runs  # unpaused: hundreds, gen-2 ones among them
    assert gc.isenabled()
    assert len(out) == 50_000 and out["t0049999"].shape == (0, 3)
    assert out["t0000000"].dtype == np.float32


def test_gc_pause_is_counted_across_threads():
    import gc
    import threading
    inside, release = threading.Event(), threading.Event()

    def hold():
        with fio._gc_paused():
            inside.set()
            release.wait(30)
    t = threading.Thread(target=hold)
    t.start()
    assert inside.wait(30)
    with fio._gc_paused():  # overlaps the thread's pause and ends first
        assert not gc.isenabled()
    assert not gc.isenabled()  # the thread is still inside
    release.set()
    t.join(30)
    assert gc.isenabled()
    gc.disable()  # a program that disabled it itself keeps it disabled
    try:
        with fio._gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("nest", ["[", '{"a":'])
def test_header_nested_100k_deep_raises_value_error(tmp_path, nest):
    close = "]" if nest == "[" else "}"
    h = (nest * 100_000 + "1" + close * 100_000).encode()
    h += b" " * (-(8 + len(h)) % 8)
    path = tmp_path / "deep"
    path.write_bytes(struct.pack("<Q", len(h)) + h)
    with pytest.raises(ValueError, match="nested too deeply"):
        fastnn.load(path)


def _with_structure(path, structure):
    meta = {"fastnn.structure": structure if isinstance(structure, str) else json.dumps(structure)}
    path.write_bytes(_raw({"__metadata__": meta}))


def test_structure_nested_deeply_raises_value_error(tmp_path):
    for depth, message in ((150, "nested more than 100"), (950, "nested")):
        node = '{"l":[' * depth + '{"v":1}' + "]}" * depth  # 950: RecursionError before
        _with_structure(tmp_path / "s", node)
        with pytest.raises(ValueError, match=message):
            fastnn.load(tmp_path / "s")
    deep = "".join('{"l":[' for _ in range(20_000)) + '{"v":1}' + "]}" * 20_000
    _with_structure(tmp_path / "s2", deep)
    with pytest.raises(ValueError, match="nested too deeply"):
        fastnn.load(tmp_path / "s2")


def test_save_and_load_agree_on_the_depth_limit(tmp_path):
    obj = np.ones(2)
    for _ in range(fio._MAX_DEPTH):
        obj = [obj]
    fastnn.save(obj, tmp_path / "ok")
    back = fastnn.load(tmp_path / "ok")
    for _ in range(fio._MAX_DEPTH):
        back = back[0]
    np.testing.assert_array_equal(np.asarray(back), np.ones(2))
    with pytest.raises(ValueError, match="nested more than"):
        fastnn.save([obj], tmp_path / "too_deep")
    loop = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="contains itself"):
        fastnn.save(loop, tmp_path / "loop")


@pytest.mark.parametrize("dtype", [["F32"], {"F32": 1}, 32, None])
def test_dtype_not_a_string_raises_value_error(tmp_path, dtype):
    path = tmp_path / "x"
    path.write_bytes(_raw({"a": {"dtype": dtype, "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4))
    with pytest.raises(ValueError, match="dtype must be a string"):
        fastnn.load(path)


@pytest.mark.parametrize("node,message", [
    ({"t": ["a"]}, "missing tensor"), ({"t": {"a": 1}}, "missing tensor"),
    ({"f": "abc"}, "malformed float"), ({"f": [1]}, "malformed float"),
    ({"d": {"a": 1}}, "malformed dict"), ({"d": [[True, {"v": 1}]]}, "malformed dict item"),
    ({"l": 3}, "malformed list"), ({"zz": 1}, "unknown node kind"), ([1, 2], "malformed"),
    ({"t": "a", "v": 1}, "malformed"),
])
def test_malformed_structure_nodes_raise_value_error(tmp_path, node, message):
    _with_structure(tmp_path / "s", node)
    with pytest.raises(ValueError, match=message):
        fastnn.load(tmp_path / "s")


def _load_in_thread(path, timeout=20):
    """fastnn.load(path) in a thread: the exception it raised, or a failure if it hangs."""
    import threading
    out = {}

    def run():
        try:
            fastnn.load(path)
        except BaseException as e:  # noqa: BLE001
            out["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    return t, out.get("error")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_raises_value_error_instead_of_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    t, err = _load_in_thread(fifo)
    if t.is_alive():  # unblock the reader before failing
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        t.join(10)
        pytest.fail("load blocked on a FIFO")
    assert isinstance(err, ValueError) and "FIFO" in str(err) and "regular files" in str(err)


def test_device_and_directory_raise_value_error(tmp_path):
    if os.path.exists("/dev/zero"):
        t, err = _load_in_thread("/dev/zero")
        assert not t.is_alive(), "load read /dev/zero forever"
        assert isinstance(err, ValueError) and "a device" in str(err)
    with pytest.raises(ValueError, match="a directory"):
        fastnn.load(tmp_path)
