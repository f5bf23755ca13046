"""Bring your own model (issue 29): the Train page's import and every refusal of lenet.onnx_import."""

_OPS = (
    "Conv, MaxPool, AveragePool, Relu, Tanh, Sigmoid, Gelu, BatchNormalization, Flatten, Reshape, Gemm, MatMul, Dropout"
)

STRINGS: dict[str, dict[str, str]] = {
    "train.import.title": {"en": "Bring your own model", "zh": "导入你自己的模型"},
    "train.import.text": {
        "en": "An ONNX file of a small CNN for 28×28 digits (from PyTorch's `torch.onnx.export` or Keras through "
        "tf2onnx), or a LeNet Explorer checkpoint (.safetensors) from another server. It joins the model picker "
        "like a finished run. PyTorch's .pt and .pth files are never opened: loading one can run any code.",
        "zh": "一个处理 28×28 数字的小型 CNN 的 ONNX 文件（用 PyTorch 的 `torch.onnx.export` 导出，或用 tf2onnx "
        "从 Keras 转换），或者来自另一台服务器的 LeNet 探索器检查点（.safetensors）。导入后它会像训练完成的运行"
        "一样出现在模型选择器里。PyTorch 的 .pt 和 .pth 文件一律不打开：加载它们可能运行任意代码。",
    },
    "train.import.upload": {"en": "Model file (.onnx or .safetensors)", "zh": "模型文件（.onnx 或 .safetensors）"},
    "train.import.norm": {
        "en": "How its input pixels were normalised when it was trained",
        "zh": "训练时它的输入像素是如何归一化的",
    },
    "train.import.norm.file": {"en": "as the file says", "zh": "按文件中的说明"},
    "train.import.norm.mnist": {"en": "MNIST: (x − 0.1307) / 0.3081", "zh": "MNIST：(x − 0.1307) / 0.3081"},
    "train.import.norm.unit": {"en": "none: pixels 0 to 1", "zh": "不归一化：像素 0 到 1"},
    "train.import.norm.custom": {"en": "my own mean and std", "zh": "自定义均值和标准差"},
    "train.import.custom": {"en": "Mean, std (for example 0.5, 0.5)", "zh": "均值, 标准差（例如 0.5, 0.5）"},
    "train.import.done": {
        "en": "Imported {name} as a network of {n} layers; it is now in the model picker:",
        "zh": "已导入 {name}，这是一个 {n} 层的网络；它现在出现在模型选择器里：",
    },
    "train.import.use": {"en": "Use this model", "zh": "使用这个模型"},
    "train.import.failed": {
        "en": "This file could not be read as a model (it may be damaged).",
        "zh": "无法把这个文件读作模型（它可能已损坏）。",
    },
    "error.import_empty": {"en": "{name} is empty.", "zh": "{name} 是空文件。"},
    "error.import_missing": {"en": "{name} cannot be read.", "zh": "无法读取 {name}。"},
    "error.import_too_large": {
        "en": "{name} is over {max_mb} MiB, the most the app imports; a small CNN for digits is far smaller.",
        "zh": "{name} 超过了 {max_mb} MiB，这是本应用能导入的上限；识别数字的小型 CNN 远比这小。",
    },
    "error.import_pickle": {
        "en": "{name} is a PyTorch pickle file, and loading one can run any code inside it, so the app never opens "
        "it; export the model to ONNX instead: {hint}",
        "zh": "{name} 是 PyTorch 的 pickle 文件，加载它可能运行其中的任意代码，所以本应用从不打开它；请改为把模型"
        "导出成 ONNX：{hint}",
    },
    "error.import_keras": {
        "en": "{name} is a Keras file; convert it to ONNX first with tf2onnx (python -m tf2onnx.convert).",
        "zh": "{name} 是 Keras 文件；请先用 tf2onnx 把它转换成 ONNX（python -m tf2onnx.convert）。",
    },
    "error.import_unreadable": {
        "en": "{name} is neither an ONNX model nor a LeNet Explorer checkpoint, or it is cut short.",
        "zh": "{name} 既不是 ONNX 模型，也不是 LeNet 探索器的检查点，或者文件不完整。",
    },
    "error.import_norm_needed": {
        "en": "{name} does not say how its input pixels were normalised; choose the normalisation it was trained "
        "with (MNIST's, none, or your own mean and std).",
        "zh": "{name} 没有说明它的输入像素是如何归一化的；请选择它训练时用的归一化方式（MNIST 的、不归一化，"
        "或你自己的均值和标准差）。",
    },
    "error.import_norm_invalid": {
        "en": "“{text}” is not a normalisation: write mnist, unit, or a mean and a std above 0 such as 0.5,0.5.",
        "zh": "“{text}” 不是有效的归一化：请写 mnist、unit，或者均值和大于 0 的标准差，例如 0.5,0.5。",
    },
    "error.onnx_external": {
        "en": "The tensor {name} keeps its data in another file, and the app never reads a file a model points "
        "to; save the model with its weights inside.",
        "zh": "张量 {name} 的数据存放在另一个文件里，而本应用从不读取模型指向的文件；请把权重保存在模型文件内部。",
    },
    "error.onnx_huge": {
        "en": "The tensor {name} claims the shape {shape}, far larger than a small CNN's.",
        "zh": "张量 {name} 声称的形状是 {shape}，远大于小型 CNN 的张量。",
    },
    "error.onnx_dtype": {
        "en": "The tensor {name} has ONNX data type {dtype}; the app reads float and integer tensors only.",
        "zh": "张量 {name} 的 ONNX 数据类型是 {dtype}；本应用只读取浮点和整数张量。",
    },
    "error.onnx_damaged": {
        "en": "The tensor {name} does not hold as many values as its shape says: the file is damaged.",
        "zh": "张量 {name} 的数值个数与它的形状不符：文件已损坏。",
    },
    "error.onnx_operator": {
        "en": "The model uses the operator {op}, which the app cannot turn into a layer (it reads " + _OPS + ", and "
        "a Softmax at the end).",
        "zh": "模型用到了算子 {op}，本应用无法把它变成一层（能读取的是 " + _OPS + "，以及末尾的 Softmax）。",
    },
    "error.onnx_inputs": {
        "en": "The model has {inputs} inputs and {outputs} outputs; the app reads one image in and ten scores out.",
        "zh": "模型有 {inputs} 个输入和 {outputs} 个输出；本应用需要一个图像输入和十个分数输出。",
    },
    "error.onnx_input_shape": {
        "en": "The model's input has the shape {shape}; the app reads one 28×28 grey digit: N×1×28×28 (NCHW), "
        "N×28×28×1 (NHWC), N×28×28 or N×784.",
        "zh": "模型输入的形状是 {shape}；本应用读取一个 28×28 的灰度数字：N×1×28×28（NCHW）、N×28×28×1（NHWC）、"
        "N×28×28 或 N×784。",
    },
    "error.onnx_too_many": {
        "en": "The graph has {n} operators; a small CNN has a few hundred at most.",
        "zh": "这个计算图有 {n} 个算子；小型 CNN 最多只有几百个。",
    },
    "error.onnx_chain": {
        "en": "The graph branches at {op} (a skip connection or a second input); the app reads a plain chain of "
        "layers.",
        "zh": "计算图在 {op} 处分叉（跳跃连接或第二个输入）；本应用只读取一条直链的层。",
    },
    "error.onnx_softmax": {
        "en": "{op} comes before the last layer; it may only end the model.",
        "zh": "{op} 出现在最后一层之前；它只能位于模型末尾。",
    },
    "error.onnx_weight": {
        "en": "{op}'s {what} is computed while the model runs; the app needs it stored in the file.",
        "zh": "{op} 的 {what} 是在模型运行时计算出来的；本应用需要它保存在文件里。",
    },
    "error.onnx_gelu_tanh": {
        "en": "The model uses GELU with the tanh approximation; the app's GELU is the exact one (erf).",
        "zh": "模型用的是 tanh 近似的 GELU；本应用的 GELU 是精确版本（erf）。",
    },
    "error.onnx_reshape": {
        "en": "{op} to {shape}: the app reads only a flatten to (batch, features).",
        "zh": "{op} 变形为 {shape}：本应用只读取展平为 (批, 特征) 的变形。",
    },
    "error.onnx_transpose": {
        "en": "A Transpose with perm {perm}: the app reads only NHWC to NCHW (0, 3, 1, 2) and back.",
        "zh": "perm 为 {perm} 的 Transpose：本应用只读取 NHWC 到 NCHW（0, 3, 1, 2）及其逆变换。",
    },
    "error.onnx_setting": {
        "en": "{op} with {setting} = {value} is not one of the app's layers.",
        "zh": "{setting} = {value} 的 {op} 不属于本应用的层。",
    },
    "error.onnx_shape": {
        "en": "{op}'s weights have the shape {shape}, which does not fit its input of {features}.",
        "zh": "{op} 的权重形状是 {shape}，与它的输入（{features}）不匹配。",
    },
    "error.onnx_layout": {
        "en": "{op} works on a tensor that is not a channels-first image (NCHW); a model from Keras needs a "
        "Transpose from NHWC first.",
        "zh": "{op} 作用在不是通道优先（NCHW）图像的张量上；来自 Keras 的模型需要先有一个从 NHWC 转换的 Transpose。",
    },
    "error.onnx_nonsquare": {
        "en": "{op} with {setting} {value}: the app's layers are square (the same along both axes).",
        "zh": "{setting} 为 {value} 的 {op}：本应用的层是正方形的（两个方向相同）。",
    },
    "error.onnx_padding": {
        "en": "{op} pads {pads} (top, left, bottom, right); the app pads every side alike, or as `same`.",
        "zh": "{op} 的填充是 {pads}（上、左、下、右）；本应用要求四边填充相同，或者使用 `same`。",
    },
    "error.onnx_pool_padding": {
        "en": "{op} with padding: the app's pooling has none.",
        "zh": "带填充的 {op}：本应用的池化没有填充。",
    },
}
