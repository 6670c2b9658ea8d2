"""ONNX converters for the tensor ops: arithmetic, comparisons, reductions,
shape ops (reshape, permute, cat, stack, ...), indexing and ``full``."""
import numpy as np

from ..graph.ir import Sym, has_sym
from ._builder import INT64_MAX, INT64_MIN, ExportError, converts, onnx_dtype


# --- elementwise ---------------------------------------------------------------------------
def _binary(onnx_op, arg_a="a", arg_b="b", same_dtype=True):
    def fn(b, node):
        out = node.outputs[0]
        # the operands share the result's dtype (fastnn promoted them before the op);
        # comparisons share the tensor operand's
        ref = out.dtype if same_dtype else (node.input(arg_a) or node.input(arg_b)).dtype
        b.emit(onnx_op, [b.operand(node, arg_a, ref), b.operand(node, arg_b, ref)], b.out(node))
    return fn


for _op, _onnx in (("add", "Add"), ("sub", "Sub"), ("mul", "Mul"), ("div", "Div"),
                   ("maximum", "Max"), ("minimum", "Min"), ("matmul", "MatMul")):
    converts(_op)(_binary(_onnx))
for _op, _onnx in (("eq", "Equal"), ("lt", "Less"), ("le", "LessOrEqual"), ("gt", "Greater"),
                   ("ge", "GreaterOrEqual")):
    converts(_op)(_binary(_onnx, "self", "other", same_dtype=False))


@converts("ne")
def ne(b, node):
    x = node.input("self")
    eq = b.emit("Equal", [b.operand(node, "self", x.dtype), b.operand(node, "other", x.dtype)])
    b.emit("Not", [eq], b.out(node))


@converts("logical_not")
def logical_not(b, node):
    x = node.input("self")
    if x.dtype != np.bool_:
        raise ExportError("~ on an integer tensor (bitwise not) is not exported; only bool")
    b.emit("Not", [b.name(x)], b.out(node))


@converts("logical_and", "logical_or")
def logical_binary(b, node):
    x = node.input("self")
    if x.dtype != np.bool_:
        raise ExportError(f"{node.op} on integer tensors (bitwise) is not exported; only bool")
    b.emit("And" if node.op == "logical_and" else "Or",
           [b.name(x), b.operand(node, "other", np.bool_)], b.out(node))


@converts("pow")
def pow_(b, node):
    a = node.input("a")
    base = b.operand(node, "a", node.outputs[0].dtype)
    e = node.input("b")
    exp = b.name(e) if e is not None else b.scalar(node.attrs["b"], node.outputs[0].dtype)
    b.emit("Pow", [base, exp], b.out(node))
    del a


@converts("where")
def where(b, node):
    cond = node.input("cond")
    cn = b.name(cond) if cond is not None else b.const(np.asarray(node.attrs["cond"], bool))
    if cond is not None and cond.dtype != np.bool_:
        cn = b.emit("Cast", [cn], to=onnx_dtype(np.bool_))
    dt = node.outputs[0].dtype
    b.emit("Where", [cn, b.operand(node, "a", dt), b.operand(node, "b", dt)], b.out(node))


@converts("clamp")
def clamp(b, node):
    x = node.input("a")
    lo, hi = node.attrs.get("min"), node.attrs.get("max")
    ins = [b.name(x), "" if lo is None else b.scalar(lo, x.dtype),
           "" if hi is None else b.scalar(hi, x.dtype)]
    while ins[-1] == "":
        ins.pop()
    b.emit("Clip", ins, b.out(node))


_ZERO_GRAD = {"sign": "Sign", "floor": "Floor", "ceil": "Ceil", "rint": "Round", "round": "Round",
              "around": "Round", "round_": "Round"}


@converts("zero_grad")
def zero_grad(b, node):
    fn = getattr(node.attrs["fn"], "__name__", "")
    op = _ZERO_GRAD.get(fn)
    if op is None:
        if fn == "trunc":
            x = b.name(node.input("a"))
            # trunc(x) = sign(x) * floor(|x|)
            b.emit("Mul", [b.emit("Sign", [x]), b.emit("Floor", [b.emit("Abs", [x])])], b.out(node))
            return
        raise ExportError(f"{fn}: no ONNX operator (round with decimals is not exported)")
    b.emit(op, [b.name(node.input("a"))], b.out(node))


@converts("cast")
def cast(b, node):
    b.emit("Cast", [b.name(node.input("a"))], b.out(node), to=onnx_dtype(node.attrs["dtype"]))


# --- reductions ----------------------------------------------------------------------------------
def _axes(node):
    axes = node.attrs.get("axes", node.attrs.get("axis"))
    if axes is None:
        return list(range(len(node.input("a").shape)))
    return [int(a) for a in ((axes,) if isinstance(axes, int) else axes)]


@converts("sum", "mean", "prod")
def reduce_simple(b, node):
    x = node.input("a")
    axes = _axes(node)
    op = {"sum": "ReduceSum", "mean": "ReduceMean", "prod": "ReduceProd"}[node.op]
    if not axes:
        b.emit("Identity", [b.name(x)], b.out(node))
        return
    b.reduce(op, b.name(x), axes, node.attrs["keepdim"], b.out(node))


@converts("amax_amin")
def amax_amin(b, node):
    op = "ReduceMax" if node.attrs["is_max"] else "ReduceMin"
    b.reduce(op, b.name(node.input("a")), _axes(node), node.attrs["keepdim"], b.out(node))


@converts("extreme")
def extreme(b, node):
    x = node.input("a")
    op = "ReduceMax" if node.attrs["is_max"] else "ReduceMin"
    b.reduce(op, b.name(x), list(range(len(x.shape))), False, b.out(node))


@converts("var", "std")
def var_std(b, node):
    x = node.input("a")
    axes = _axes(node)
    n = 1
    for a in axes:
        if isinstance(x.shape[a], Sym):
            raise ExportError(f"{node.op} over a symbolic dim is not exported")
        n *= x.shape[a]
    denom = max(n - int(node.attrs["correction"]), 0)
    xn = b.name(x)
    mean = b.reduce("ReduceMean", xn, axes, True)
    d = b.emit("Sub", [xn, mean])
    ss = b.reduce("ReduceSum", b.emit("Mul", [d, d]), axes, node.attrs["keepdim"])
    out = b.out(node)
    if node.op == "var":
        b.emit("Div", [ss, b.const(np.array(denom, x.dtype))], out)
    else:
        b.emit("Sqrt", [b.emit("Div", [ss, b.const(np.array(denom, x.dtype))])], out)


@converts("norm")
def norm(b, node):
    p = float(node.attrs["p"])
    if p not in (1.0, 2.0):
        raise ExportError(f"norm: p={p} is not exported (p=1 and p=2 are: ReduceL1, ReduceL2)")
    b.reduce("ReduceL2" if p == 2 else "ReduceL1", b.name(node.input("a")), _axes(node),
             node.attrs["keepdim"], b.out(node))


@converts("logsumexp")
def logsumexp(b, node):
    x = node.input("self")
    dim = node.attrs["dim"]
    n = max(len(x.shape), 1)
    axes = [int(d) % n for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    b.reduce("ReduceLogSumExp", b.name(x), axes, node.attrs["keepdim"], b.out(node))


def _arg(b, node, onnx_op, out):
    x = node.input("self")
    dim = node.attrs.get("dim")
    xn = b.name(x)
    keep = bool(node.attrs.get("keepdim", False))
    if dim is None:
        xn = b.emit("Reshape", [xn, b.const(np.array([-1], np.int64))])
        dim, keep = 0, False
    return b.emit(onnx_op, [xn], out, axis=int(dim) % max(len(x.shape), 1), keepdims=int(keep))


@converts("argmax", "argmin")
def argmax(b, node):
    _arg(b, node, "ArgMax" if node.op == "argmax" else "ArgMin", b.out(node))


@converts("max_dim", "min_dim")
def max_dim(b, node):
    x = node.input("self")
    axis = int(node.attrs["dim"]) % max(len(x.shape), 1)
    keep = bool(node.attrs["keepdim"])
    op = "ReduceMax" if node.op == "max_dim" else "ReduceMin"
    b.reduce(op, b.name(x), [axis], keep, b.out(node, 0))
    if b.is_used(node.outputs[1]):
        _arg(b, node, "ArgMax" if node.op == "max_dim" else "ArgMin", b.out(node, 1))


# --- shapes ---------------------------------------------------------------------------------------
@converts("reshape")
def reshape(b, node):
    x = node.input("a")
    shape = list(node.attrs["shape"])
    # a symbolic entry equal to the input's at the same place is ONNX's 0 (copy that dim);
    # one remaining symbolic entry is -1 (inferred) when no -1 is there already
    for i, d in enumerate(shape):
        if isinstance(d, Sym) and i < len(x.shape) and x.shape[i] == d:
            shape[i] = 0
    syms = [i for i, d in enumerate(shape) if isinstance(d, Sym)]
    if len(syms) == 1 and -1 not in shape:
        shape[syms[0]] = -1
    b.emit("Reshape", [b.name(x), b.ints(shape, "shape")], b.out(node))


@converts("permute")
def permute(b, node):
    b.emit("Transpose", [b.name(node.input("a"))], b.out(node),
           perm=[int(p) for p in node.attrs["perm"]])


@converts("transpose")
def transpose(b, node):
    x = node.input("a")
    n = len(x.shape)
    perm = list(range(n))
    d0, d1 = int(node.attrs["d0"]) % n, int(node.attrs["d1"]) % n
    perm[d0], perm[d1] = perm[d1], perm[d0]
    b.emit("Transpose", [b.name(x)], b.out(node), perm=perm)


@converts("expand")
def expand(b, node):
    b.emit("Expand", [b.name(node.input("a")), b.ints(node.attrs["shape"], "shape")], b.out(node))


@converts("repeat")
def repeat(b, node):
    x = node.input("a")
    reps = list(node.attrs["reps"])
    xn = b.name(x)
    extra = len(reps) - len(x.shape)
    if extra > 0:
        xn = b.emit("Unsqueeze", [xn, b.const(np.arange(extra, dtype=np.int64))])
    b.emit("Tile", [xn, b.ints(reps, "reps")], b.out(node))


@converts("flip")
def flip(b, node):
    axes = [int(a) for a in node.attrs["axes"]]
    n = len(axes)
    b.emit("Slice", [b.name(node.input("a")), b.const(np.full(n, -1, np.int64)),
                     b.const(np.full(n, INT64_MIN, np.int64)), b.const(np.array(axes, np.int64)),
                     b.const(np.full(n, -1, np.int64))], b.out(node))


@converts("cat")
def cat(b, node):
    b.emit("Concat", [b.name(v) for v in node.inputs], b.out(node), axis=int(node.attrs["axis"]))


@converts("stack")
def stack(b, node):
    axis = int(node.attrs["axis"])
    ax = b.const(np.array([axis], np.int64))
    parts = [b.emit("Unsqueeze", [b.name(v), ax]) for v in node.inputs]
    b.emit("Concat", parts, b.out(node), axis=axis)


@converts("full")
def full(b, node):
    from onnx import numpy_helper
    a = node.attrs
    value = numpy_helper.from_array(np.array([a["fill_value"]], dtype=a["dtype"]), "value")
    b.emit("ConstantOfShape", [b.ints(a["shape"], "shape")], b.out(node), value=value)


@converts("gather")
def gather(b, node):
    b.emit("GatherElements", [b.name(node.input("a")), b.name(node.input("index"))], b.out(node),
           axis=int(node.attrs["axis"]))


@converts("cumsum")
def cumsum(b, node):
    b.emit("CumSum", [b.name(node.inputs[0]), b.const(np.array(int(node.attrs["axis"]), np.int64))],
           b.out(node))


# --- indexing -------------------------------------------------------------------------------------
def _index_parts(idx, rank):
    """Normalise a basic index to a list of (kind, item) over the input's axes."""
    items = list(idx) if isinstance(idx, tuple) else [idx]
    n_axes = sum(1 for i in items if i is not None and i is not Ellipsis)
    out = []
    for i in items:
        if i is Ellipsis:
            out += [slice(None)] * (rank - n_axes)
        else:
            out.append(i)
    if not any(i is Ellipsis for i in items):
        out += [slice(None)] * (rank - n_axes)
    return out


@converts("getitem")
def getitem(b, node):
    x = node.input("a")
    iv = node.input("idx")
    if iv is not None:  # a tensor of indices (or a mask) computed in the graph
        if iv.dtype == np.bool_:
            raise ExportError("getitem with a boolean mask (a data-dependent shape) is not exported")
        b.emit("Gather", [b.name(x), b.name(iv)], b.out(node), axis=0)
        return
    idx = node.attrs["idx"]
    items = _index_parts(idx, len(x.shape))
    arrays = [k for k, i in enumerate(items) if isinstance(i, (np.ndarray, list))]
    if arrays:
        if len(arrays) > 1 or any(not (isinstance(i, slice) and i == slice(None))
                                  for k, i in enumerate(items) if k not in arrays and i is not None):
            raise ExportError("getitem: only one integer-array index, with ':' elsewhere, is "
                              "exported (as Gather)")
        arr = np.asarray(items[arrays[0]])
        if arr.dtype == np.bool_:
            raise ExportError("getitem with a boolean mask (a data-dependent shape) is not exported")
        b.emit("Gather", [b.name(x), b.const(arr.astype(np.int64))], b.out(node), axis=arrays[0])
        return
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis = 0   # input axis
    out_pos = 0  # position in the result (after the int axes went away)
    for i in items:
        if i is None:
            unsqueeze.append(out_pos)
            out_pos += 1
            continue
        if isinstance(i, (int, np.integer, Sym)):
            starts.append(i)
            ends.append(INT64_MAX if (not isinstance(i, Sym) and int(i) == -1) else
                        (i + 1 if not isinstance(i, Sym) else Sym(i.names, i.coef, i.offset + 1)))
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        elif isinstance(i, slice):
            step = 1 if i.step is None else i.step
            if has_sym(step) or step == 0:
                raise ExportError("getitem: a slice step must be a fixed non-zero int")
            if i != slice(None) and not (i.start in (None, 0) and i.stop is None and step == 1):
                start = i.start if i.start is not None else (0 if step > 0 else -1)
                stop = i.stop if i.stop is not None else (INT64_MAX if step > 0 else INT64_MIN)
                starts.append(start)
                ends.append(stop)
                axes.append(axis)
                steps.append(step)
            out_pos += 1
        else:
            raise ExportError(f"getitem: index item {i!r} is not exported")
        axis += 1
    cur = b.name(x)
    final = b.out(node)
    steps_todo = [bool(starts), bool(squeeze), bool(unsqueeze)]
    if not any(steps_todo):
        b.emit("Identity", [cur], final)
        return
    if starts:
        cur = b.emit("Slice", [cur, b.ints(starts, "starts"), b.ints(ends, "ends"),
                               b.const(np.array(axes, np.int64)), b.const(np.array(steps, np.int64))],
                     final if not (squeeze or unsqueeze) else None)
    if squeeze:
        cur = b.emit("Squeeze", [cur, b.const(np.array(squeeze, np.int64))],
                     final if not unsqueeze else None)
    if unsqueeze:
        b.emit("Unsqueeze", [cur, b.const(np.array(unsqueeze, np.int64))], final)


@converts("einsum")
def einsum(b, node):
    b.emit("Einsum", [b.name(v) for v in node.inputs], b.out(node),
           equation=node.attrs["equation"].replace(" ", ""))


@converts("tri_mask")
def tri_mask(b, node):
    b.emit("Trilu", [b.name(node.input("a")), b.const(np.array(int(node.attrs["diagonal"]), np.int64))],
           b.out(node), upper=int(bool(node.attrs["upper"])))


@converts("roll")
def roll(b, node):
    x = node.input("a")
    cur = b.name(x)
    pairs = list(zip(node.attrs["shifts"], node.attrs["axes"]))
    for k, (shift, axis) in enumerate(pairs):
        n = b.static((x.shape[axis],), "roll (the rolled dim)")[0]
        s = int(shift) % n if n else 0
        last = k == len(pairs) - 1
        if not s:
            if last:
                b.emit("Identity", [cur], b.out(node))
            continue
        ax = b.const(np.array([axis], np.int64))
        tail = b.emit("Slice", [cur, b.const(np.array([n - s], np.int64)),
                                b.const(np.array([n], np.int64)), ax])
        head = b.emit("Slice", [cur, b.const(np.array([0], np.int64)),
                                b.const(np.array([n - s], np.int64)), ax])
        cur = b.emit("Concat", [tail, head], b.out(node) if last else None, axis=int(axis))
