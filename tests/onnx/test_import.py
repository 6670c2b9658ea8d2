"""fastnn.onnx.load: the ways to pass a model, how initializers map onto
Parameters and buffers, load-time refusal of what is unsupported, and the
semantics that changed across opsets (each compared with onnxruntime)."""
import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper  # noqa: E402

import fastnn  # noqa: E402
import fastnn.onnx  # noqa: E402
from fastnn import nn  # noqa: E402

from _build import model, ort_run, fastnn_run  # noqa: E402

R = np.random.default_rng(0)


def _linear_model(opset=13, **kw):
    w = R.standard_normal((4, 3)).astype(np.float32)
    b = R.standard_normal(4).astype(np.float32)
    node = helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["y"], transB=1)
    return model([node], {"x": np.zeros((2, 3), np.float32)}, ["y"], opset,
                 {"fc.weight": w, "fc.bias": b}, **kw), w, b


# --- the three ways to pass a model ----------------------------------------------------------
def test_load_path_file_object_and_proto(tmp_path):
    m, w, b = _linear_model()
    x = R.standard_normal((2, 3)).astype(np.float32)
    want = x @ w.T + b
    path = tmp_path / "m.onnx"
    onnx.save(m, str(path))
    for src in (str(path), path, open(path, "rb"), io.BytesIO(m.SerializeToString()), m,
                m.SerializeToString()):
        mod = fastnn.onnx.load(src)
        assert isinstance(mod, nn.Module)
        np.testing.assert_allclose(mod(fastnn.tensor(x)).detach().numpy(), want, rtol=1e-5, atol=1e-6)


def test_load_rejects_other_types():
    with pytest.raises(TypeError, match="path, a binary file object, an onnx.ModelProto"):
        fastnn.onnx.load(12)
    with pytest.raises(TypeError, match="binary mode"):
        fastnn.onnx.load(io.StringIO("text"))


def test_forward_checks_input_count():
    mod = fastnn.onnx.load(_linear_model()[0])
    with pytest.raises(TypeError, match=r"1 input\(s\) \['x'\]"):
        mod(np.zeros((2, 3), np.float32), np.zeros(1))


# --- initializers ----------------------------------------------------------------------------
def test_initializers_become_parameters_with_torch_style_names():
    m, w, b = _linear_model()
    mod = fastnn.onnx.load(m)
    params = dict(mod.named_parameters())
    assert set(params) == {"fc.weight", "fc.bias"}
    assert isinstance(params["fc.weight"], nn.Parameter) and params["fc.weight"].requires_grad
    np.testing.assert_array_equal(params["fc.weight"].detach().numpy(), w)
    assert set(mod.state_dict()) == {"fc.weight", "fc.bias"}
    assert mod.onnx_names == {"fc.weight": "fc.weight", "fc.bias": "fc.bias"}


def test_load_state_dict_changes_what_forward_uses():
    m, w, b = _linear_model()
    mod = fastnn.onnx.load(m)
    sd = {k: fastnn.tensor(np.ones_like(v.detach().numpy())) for k, v in mod.state_dict().items()}
    mod.load_state_dict(sd)
    y = mod(fastnn.tensor(np.ones((1, 3), np.float32)))
    np.testing.assert_allclose(y.detach().numpy(), np.full((1, 4), 4.0))


def test_int_and_batchnorm_statistics_are_buffers_and_odd_names_are_sanitized():
    c = 3
    nodes = [helper.make_node("BatchNormalization", ["x", "gpu_0/s", "gpu_0/b", "bn/mean",
                                                     "bn/var"], ["h"]),
             helper.make_node("Reshape", ["h", "shape:0"], ["y"])]
    inits = {"gpu_0/s": np.ones(c, np.float32), "gpu_0/b": np.zeros(c, np.float32),
             "bn/mean": np.zeros(c, np.float32), "bn/var": np.ones(c, np.float32),
             "shape:0": np.array([2, -1], np.int64)}
    m = model(nodes, {"x": np.zeros((2, c, 2, 2), np.float32)}, ["y"], 9, inits)
    mod = fastnn.onnx.load(m)
    assert set(dict(mod.named_parameters())) == {"gpu_0_s", "gpu_0_b"}
    assert set(dict(mod.named_buffers())) == {"bn_mean", "bn_var", "shape_0"}
    assert mod.onnx_names["shape:0"] == "shape_0"
    assert mod(np.zeros((2, c, 2, 2), np.float32)).shape == (2, 12)


def test_clashing_names_fall_back_to_flat_keys():
    # "a" is a tensor and also the prefix of "a.b": both still get a key
    nodes = [helper.make_node("Add", ["x", "a"], ["h"]), helper.make_node("Add", ["h", "a.b"], ["y"])]
    m = model(nodes, {"x": np.zeros(2, np.float32)}, ["y"], 13,
              {"a": np.ones(2, np.float32), "a.b": np.full(2, 2.0, np.float32)})
    mod = fastnn.onnx.load(m)
    assert len(mod.state_dict()) == 2
    np.testing.assert_allclose(mod(np.zeros(2, np.float32)).detach().numpy(), [3.0, 3.0])


def test_old_files_listing_initializers_as_inputs():
    m, w, b = _linear_model(opset=7, inits_as_inputs=True, ir_version=3)
    assert len(m.graph.input) == 3
    mod = fastnn.onnx.load(m)
    assert mod.input_names == ["x"]
    x = R.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(mod(x).detach().numpy(), x @ w.T + b, rtol=1e-5, atol=1e-6)


def test_several_outputs_come_back_as_a_tuple():
    node = helper.make_node("Split", ["x"], ["a", "b"], axis=0)
    m = model([node], {"x": np.zeros(4, np.float32)}, ["a", "b"], 13)
    a, b = fastnn.onnx.load(m)(np.arange(4, dtype=np.float32))
    np.testing.assert_array_equal(a.numpy(), [0, 1])
    np.testing.assert_array_equal(b.numpy(), [2, 3])


def test_returned_module_is_in_eval_mode():
    assert fastnn.onnx.load(_linear_model()[0]).training is False


# --- refusing what is not supported, before anything runs ------------------------------------
def test_unsupported_operator_names_op_and_node():
    nodes = [helper.make_node("Relu", ["x"], ["h"], name="first"),
             helper.make_node("Hardmax", ["h"], ["y"], name="my_hardmax")]
    m = model(nodes, {"x": np.zeros(2, np.float32)}, ["y"], 13)
    with pytest.raises(NotImplementedError, match=r"node 1 'my_hardmax' \(Hardmax\).*'Hardmax'"):
        fastnn.onnx.load(m)


def test_unsupported_attribute_values_are_refused_at_load():
    cases = [
        helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_WRONG"),
        helper.make_node("Pad", ["x", "p"], ["y"], mode="mirror"),
        helper.make_node("Gelu", ["x"], ["y"], approximate="erf"),
        helper.make_node("LSTM", ["x", "w", "r"], ["y"], hidden_size=2, activations=["Sigmoid",
                                                                                    "Gaussian",
                                                                                    "Tanh"]),
        helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2, 2, 2]),
    ]
    for node in cases:
        m = model([node], {"x": np.zeros((1, 1, 4, 4), np.float32)}, ["y"], 20)
        with pytest.raises(NotImplementedError, match=rf"node 0 .*\({node.op_type}\)"):
            fastnn.onnx.load(m)


def test_foreign_domain_old_opset_and_unsorted_graph_are_refused():
    node = helper.make_node("FusedConv", ["x"], ["y"], domain="com.microsoft")
    m = model([node], {"x": np.zeros(2, np.float32)}, ["y"], 13)
    with pytest.raises(NotImplementedError, match="domain 'com.microsoft'"):
        fastnn.onnx.load(m)
    # before opset 7, Add had a legacy broadcast/axis form: refused; Relu's
    # definition at opset 6 is still the one at 7: accepted
    m = model([helper.make_node("Add", ["x", "x"], ["y"])], {"x": np.zeros(2, np.float32)},
              ["y"], 6)
    with pytest.raises(NotImplementedError, match=r"node 0 .*\(Add\).*opset 6"):
        fastnn.onnx.load(m)
    m = model([helper.make_node("Relu", ["x"], ["y"])], {"x": np.zeros(2, np.float32)}, ["y"], 6)
    np.testing.assert_array_equal(fastnn.onnx.load(m)(np.array([-1.0, 2.0])).numpy(), [0, 2])
    nodes = [helper.make_node("Relu", ["h"], ["y"]), helper.make_node("Relu", ["x"], ["h"])]
    m = model(nodes, {"x": np.zeros(2, np.float32)}, ["y"], 13)
    with pytest.raises(ValueError, match="topologically sorted"):
        fastnn.onnx.load(m)


def _if_model(inner_op="Relu"):
    # y = relu(x) if x has 2 rows else -x: a shape test like PyTorch's exports
    then_g = helper.make_graph([helper.make_node(inner_op, ["x"], ["t"])], "then", [],
                               [helper.make_tensor_value_info("t", 1, None)])
    else_g = helper.make_graph([helper.make_node("Mul", ["x", "k"], ["e"])], "else", [],
                               [helper.make_tensor_value_info("e", 1, None)],
                               [onnx.numpy_helper.from_array(np.array(-1.0, np.float32), "k")])
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["rows"], axis=0),
             helper.make_node("Equal", ["rows", "two"], ["c"]),
             helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)]
    return model(nodes, {"x": np.zeros((2, 3), np.float32)}, ["y"], 13,
                 {"zero": np.array(0, np.int64), "two": np.array(2, np.int64)})


def test_if_runs_the_branch_the_condition_picks_with_gradients():
    mod = fastnn.onnx.load(_if_model())
    x = fastnn.tensor(np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]], np.float32),
                      requires_grad=True)
    y = mod(x)
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(x.detach().numpy(), 0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (x.detach().numpy() > 0).astype(np.float32))
    x3 = np.ones((3, 2), np.float32)
    np.testing.assert_array_equal(mod(x3).numpy(), -x3)


def test_if_branches_are_checked_at_load():
    with pytest.raises(NotImplementedError, match=r"node 3.then_branch.0 .*\(Hardmax\)"):
        fastnn.onnx.load(_if_model("Hardmax"))


def test_runtime_errors_say_which_node():
    node = helper.make_node("Reshape", ["x", "s"], ["y"], name="bad_reshape")
    m = model([node], {"x": np.zeros(6, np.float32)}, ["y"], 13, {"s": np.array([4, -1])})
    with pytest.raises(Exception) as err:
        fastnn.onnx.load(m)(np.zeros(6, np.float32))
    assert "bad_reshape" in "".join(getattr(err.value, "__notes__", [])) + str(err.value)


# --- semantics that changed with the opset, against onnxruntime ------------------------------
def _cases():
    x4 = R.standard_normal((2, 3, 4, 5)).astype(np.float32)
    x2 = R.standard_normal((3, 6)).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)  # noqa: E731
    return [
        # Softmax before 13 normalises the 2-D flattening at axis, from 13 the one axis
        ("softmax_11", 11, [helper.make_node("Softmax", ["x"], ["y"], axis=1)], {"x": x4}, {}),
        ("softmax_13", 13, [helper.make_node("Softmax", ["x"], ["y"], axis=1)], {"x": x4}, {}),
        ("logsoftmax_9", 9, [helper.make_node("LogSoftmax", ["x"], ["y"])], {"x": x4}, {}),
        ("logsoftmax_13", 13, [helper.make_node("LogSoftmax", ["x"], ["y"])], {"x": x4}, {}),
        ("slice_9", 9, [helper.make_node("Slice", ["x"], ["y"], starts=[1, -4], ends=[100, -1],
                                         axes=[0, 1])], {"x": x2}, {}),
        ("slice_13", 13, [helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"])], {"x": x2},
         {"s": i64(-1, 5), "e": i64(-100, 0), "a": i64(0, 1), "st": i64(-1, -2)}),
        ("squeeze_11", 11, [helper.make_node("Squeeze", ["x"], ["y"], axes=[0])],
         {"x": x2[None]}, {}),
        ("squeeze_13", 13, [helper.make_node("Squeeze", ["x", "a"], ["y"])], {"x": x2[None]},
         {"a": i64(0)}),
        ("unsqueeze_11", 11, [helper.make_node("Unsqueeze", ["x"], ["y"], axes=[0, -1])],
         {"x": x2}, {}),
        ("unsqueeze_13", 13, [helper.make_node("Unsqueeze", ["x", "a"], ["y"])], {"x": x2},
         {"a": i64(3, 1)}),
        ("clip_7", 7, [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.3)], {"x": x2}, {}),
        ("clip_13", 13, [helper.make_node("Clip", ["x", "", "hi"], ["y"])], {"x": x2},
         {"hi": np.array(0.2, np.float32)}),
        ("split_11", 11, [helper.make_node("Split", ["x"], ["a", "b"], axis=1, split=[2, 4])],
         {"x": x2}, {}),
        ("split_13", 13, [helper.make_node("Split", ["x", "sp"], ["a", "b"], axis=1)], {"x": x2},
         {"sp": i64(5, 1)}),
        ("split_18", 18, [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=0,
                                           num_outputs=3)], {"x": x2}, {}),
        ("reducesum_11", 11, [helper.make_node("ReduceSum", ["x"], ["y"], axes=[1, 3],
                                               keepdims=0)], {"x": x4}, {}),
        ("reducesum_13", 13, [helper.make_node("ReduceSum", ["x", "a"], ["y"])], {"x": x4},
         {"a": i64(-1)}),
        ("reducemean_18", 18, [helper.make_node("ReduceMean", ["x", "a"], ["y"], keepdims=0)],
         {"x": x4}, {"a": i64(0, 2)}),
        ("reducemax_13", 13, [helper.make_node("ReduceMax", ["x"], ["y"], axes=[2])], {"x": x4},
         {}),
        ("pad_10", 10, [helper.make_node("Pad", ["x"], ["y"], pads=[0, 1, 0, 2], value=1.5)],
         {"x": x2}, {}),
        ("pad_13_reflect", 13, [helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect")],
         {"x": x2}, {"p": i64(1, 2, 2, 1)}),
        ("pad_19_wrap", 19, [helper.make_node("Pad", ["x", "p", "", "ax"], ["y"], mode="wrap")],
         {"x": x4}, {"p": i64(1, 2), "ax": i64(-1)}),
        ("reshape_13", 13, [helper.make_node("Reshape", ["x", "s"], ["y"])], {"x": x4},
         {"s": i64(0, -1, 5)}),
        ("flatten_11", 11, [helper.make_node("Flatten", ["x"], ["y"], axis=-2)], {"x": x4}, {}),
        ("dropout_7", 7, [helper.make_node("Dropout", ["x"], ["y"], ratio=0.3)], {"x": x2}, {}),
        ("dropout_12", 12, [helper.make_node("Dropout", ["x", "r"], ["y", "m"])], {"x": x2},
         {"r": np.array(0.3, np.float32)}),
        ("batchnorm_7", 7, [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                                             ["y"], epsilon=1e-3)], {"x": x4},
         {"s": R.random(3, np.float32) + 0.5, "b": R.random(3, np.float32),
          "m": R.random(3, np.float32), "v": R.random(3, np.float32) + 0.5}),
        ("batchnorm_15", 15, [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                                               ["y"])], {"x": x4},
         {"s": R.random(3, np.float32) + 0.5, "b": R.random(3, np.float32),
          "m": R.random(3, np.float32), "v": R.random(3, np.float32) + 0.5}),
        ("upsample_like_gather", 13, [helper.make_node("Shape", ["x"], ["s"]),
                                      helper.make_node("Gather", ["s", "i"], ["g"], axis=0),
                                      helper.make_node("Concat", ["g", "m1"], ["ns"], axis=0),
                                      helper.make_node("Reshape", ["x", "ns"], ["y"])],
         {"x": x4}, {"i": i64(0, 1), "m1": i64(-1)}),
        ("expand_tile", 13, [helper.make_node("Expand", ["x", "s"], ["h"]),
                             helper.make_node("Tile", ["h", "t"], ["y"])],
         {"x": x2[:, :1]}, {"s": i64(2, 1, 4), "t": i64(1, 2, 1)}),
        ("where_equal", 13, [helper.make_node("Equal", ["i", "j"], ["c"]),
                             helper.make_node("Where", ["c", "x", "z"], ["y"])],
         {"i": np.array([1, 2, 3], np.int64), "j": np.array([1, 0, 3], np.int64),
          "x": R.random(3, np.float32)}, {"z": np.zeros(3, np.float32)}),
        ("argmax_last", 13, [helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=0,
                                              select_last_index=1)],
         {"x": np.array([[1, 3, 3], [2, 2, 0]], np.float32)}, {}),
        ("constant_of_shape", 13, [helper.make_node("Shape", ["x"], ["s"]),
                                   helper.make_node("ConstantOfShape", ["s"], ["y"],
                                                    value=helper.make_tensor("v", 7, [1], [3]))],
         {"x": x2}, {}),
    ]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_opset_semantics_match_onnxruntime(case):
    pytest.importorskip("onnxruntime")
    name, opset, nodes, feeds, inits = case
    outs = [o for o in nodes[-1].output]
    m = model(nodes, feeds, outs, opset, inits)
    want = ort_run(m, feeds)
    got = fastnn_run(m, feeds)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, name
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=name)


def test_external_data_loads_from_a_path_and_is_explained_otherwise(tmp_path):
    m, w, b = _linear_model()
    path = tmp_path / "ext.onnx"
    onnx.save(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.data", size_threshold=0)
    mod = fastnn.onnx.load(str(path))
    np.testing.assert_array_equal(dict(mod.named_parameters())["fc.weight"].detach().numpy(), w)
    with pytest.raises(ValueError, match="external file; pass the model's path"):
        fastnn.onnx.load(open(path, "rb"))


def test_attributes_foreign_to_the_opset_are_refused():
    # Split's num_outputs arrived in opset 18: at opset 13 it would be ignored silently
    node = helper.make_node("Split", ["x"], ["a", "b"], num_outputs=2)
    m = model([node], {"x": np.zeros(4, np.float32)}, ["a", "b"], 13)
    with pytest.raises(NotImplementedError, match=r"\['num_outputs'\] are not part of 'Split'"):
        fastnn.onnx.load(m)
    # an operator newer than the file's opset does not exist there
    m = model([helper.make_node("Gelu", ["x"], ["y"])], {"x": np.zeros(2, np.float32)}, ["y"], 13)
    with pytest.raises(NotImplementedError, match="'Gelu' does not exist at opset 13"):
        fastnn.onnx.load(m)


def test_model_local_functions_are_inlined():
    f = helper.make_function("my.lib", "ScaledRelu", ["a"], ["b"],
                             [helper.make_node("Relu", ["a"], ["r"]),
                              helper.make_node("Add", ["r", "r"], ["b"])],
                             [helper.make_opsetid("", 13)])
    node = helper.make_node("ScaledRelu", ["x"], ["y"], domain="my.lib")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", 1, [3])],
                          [helper.make_tensor_value_info("y", 1, [3])])
    m = helper.make_model(g, functions=[f], opset_imports=[helper.make_opsetid("", 13),
                                                           helper.make_opsetid("my.lib", 1)])
    y = fastnn.onnx.load(m)(np.array([-1.0, 0.5, 2.0], np.float32))
    np.testing.assert_allclose(y.numpy(), [0.0, 1.0, 4.0])
