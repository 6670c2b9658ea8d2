"""The "light" ImageNet models that ship inside the onnx package
(onnx/backend/test/data/light: AlexNet, DenseNet-121, Inception v1/v2,
ResNet-50, ShuffleNet, SqueezeNet, VGG-19, ZFNet-512 as exported by
onnx-caffe2, opset 9, initializers listed among the graph inputs). Their
weights are stored as ConstantOfShape nodes with one value each, which would
let a transposed kernel or a swapped channel order go unnoticed, so
``randomized`` replaces every such weight by a random initializer of the same
shape (scaled so activations stay in range through 50+ layers)."""
import os

import numpy as np

LIGHT_MODELS = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
                "shufflenet", "squeezenet", "vgg19", "zfnet512")


def light_path(name):
    import onnx.backend.test
    return os.path.join(os.path.dirname(onnx.backend.test.__file__), "data", "light",
                        f"light_{name}.onnx")


def _value(shape, consumer, index, rng):
    shape = tuple(int(s) for s in shape)
    if len(shape) >= 2:  # conv / FC weight: He-style scale over the fan-in
        fan_in = int(np.prod(shape[1:]))
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(1.0 / fan_in))
    op = consumer.op_type if consumer is not None else ""
    if (op == "BatchNormalization" and index in (2, 3)) or (op in ("Conv", "Gemm") and index == 2):
        return (rng.standard_normal(shape) * 0.1).astype(np.float32)
    return rng.uniform(0.5, 1.5, shape).astype(np.float32)


def randomized(model, seed=0, logits=True):
    """A copy of ``model`` whose ConstantOfShape weights are random initializers;
    with ``logits`` the final Softmax is cut off (a saturated softmax hides errors)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    consumers = {}
    for node in g.node:
        for i, name in enumerate(node.input):
            consumers.setdefault(name, (node, i))
    rng = np.random.default_rng(seed)
    keep = []
    for node in g.node:
        if node.op_type == "ConstantOfShape" and node.input[0] in inits:
            consumer, index = consumers.get(node.output[0], (None, 0))
            shape = inits[node.input[0]]
            g.initializer.append(numpy_helper.from_array(_value(shape, consumer, index, rng),
                                                         node.output[0]))
        else:
            keep.append(node)
    if logits and keep[-1].op_type == "Softmax" and keep[-1].output[0] == g.output[0].name:
        last = keep.pop()
        for node in keep:
            for i, name in enumerate(node.output):
                if name == last.input[0]:
                    node.output[i] = last.output[0]
    del g.node[:]
    g.node.extend(keep)
    return m


def image_input(model, seed=1):
    """A random input of the model's (only) non-initializer input's shape."""
    names = {t.name for t in model.graph.initializer}
    inp = [v for v in model.graph.input if v.name not in names][0]
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    return inp.name, np.random.default_rng(seed).random(shape, dtype=np.float32)
