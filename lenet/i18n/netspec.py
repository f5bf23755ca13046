"""Messages for a network list (lenet.netspec's NetSpecError codes) and the words its table uses."""

STRINGS: dict[str, dict[str, str]] = {
    "error.net_not_text": {
        "en": "A network must be written as a list of layers, such as c6k5p2,relu,mp2,fc10.",
        "zh": "网络要写成一串层，例如 c6k5p2,relu,mp2,fc10。",
    },
    "error.net_empty": {
        "en": "The list is empty: write layers separated by commas, such as c6k5p2,relu,mp2,fc10.",
        "zh": "列表是空的：请写出用逗号分隔的层，例如 c6k5p2,relu,mp2,fc10。",
    },
    "error.net_too_long": {
        "en": "The list is too long to be a small network (at most {limit} characters).",
        "zh": "这个列表太长了，不像一个小网络（最多 {limit} 个字符）。",
    },
    "error.net_too_many": {
        "en": "The list has {count} layers; at most {limit} fit. Layer {index} “{layer}” is one too many.",
        "zh": "列表有 {count} 层，最多只能有 {limit} 层。第 {index} 层“{layer}”已经超出了。",
    },
    "error.net_empty_layer": {
        "en": "Layer {index} is empty: two commas in a row, or a comma at an end. Remove the extra comma.",
        "zh": "第 {index} 层是空的：连着写了两个逗号，或者开头或结尾多了一个逗号。请删掉多余的逗号。",
    },
    "error.net_syntax": {
        "en": "Layer {index} “{layer}” is not written as {form}. For example: {example}.",
        "zh": "第 {index} 层“{layer}”的写法不对，应该写成 {form}。例如：{example}。",
    },
    "error.net_unknown_near": {
        "en": "Layer {index} “{layer}” is not a layer I know. Did you mean {near}?",
        "zh": "第 {index} 层“{layer}”不是已知的层。你是想写 {near} 吗？",
    },
    "error.net_unknown_layer": {
        "en": "Layer {index} “{layer}” is not a layer I know. Write one of: c6k5p2 (conv), mp2 or ap2 (pooling), "
        "relu, tanh, sigmoid, gelu, bn, drop0.25, fc84.",
        "zh": "第 {index} 层“{layer}”不是已知的层。请写其中一种：c6k5p2（卷积）、mp2 或 ap2（池化）、"
        "relu、tanh、sigmoid、gelu、bn、drop0.25、fc84。",
    },
    "error.net_out_of_range": {
        "en": "Layer {index} “{layer}”: {name} {value} is outside {low} to {high}. For example: {fix}.",
        "zh": "第 {index} 层“{layer}”：{name} {value} 超出了 {low} 到 {high} 的范围。例如：{fix}。",
    },
    "error.net_dropout_range": {
        "en": "Layer {index} “{layer}”: a dropout probability must be at least 0 and below 1, not {value}. "
        "For example: drop0.25.",
        "zh": "第 {index} 层“{layer}”：丢弃概率必须大于等于 0 且小于 1，不能是 {value}。例如：drop0.25。",
    },
    "error.net_map_after_vector": {
        "en": "Layer {index} “{layer}” comes after the fully connected layer {fc_index} “{fc}”. A conv or a "
        "pooling needs a map, and a fully connected layer leaves a list of numbers: move it before layer {fc_index}.",
        "zh": "第 {index} 层“{layer}”在全连接层第 {fc_index} 层“{fc}”之后。卷积和池化需要特征图，"
        "而全连接层输出的只是一串数：请把它移到第 {fc_index} 层之前。",
    },
    "error.net_last_layer": {
        "en": "The last layer, {index} “{layer}”, must be fc{units}: one output per digit. Add fc{units} after it.",
        "zh": "最后一层（第 {index} 层“{layer}”）必须是 fc{units}：每个数字一个输出。请在它后面加上 fc{units}。",
    },
    "error.net_last_units": {
        "en": "The last layer, {index} “{layer}”, must be fc{units}: one output per digit. Make it fc{units}.",
        "zh": "最后一层（第 {index} 层“{layer}”）必须是 fc{units}：每个数字一个输出。请把它改成 fc{units}。",
    },
    "error.net_layer_fails": {
        "en": "Layer {index} “{layer}” cannot take its {height}×{width} input: {reason}",
        "zh": "第 {index} 层“{layer}”接不住它 {height}×{width} 的输入：{reason}",
    },
    "error.net_layer_fix": {
        "en": "Layer {index} “{layer}” cannot take its {height}×{width} input: {reason} "
        "{fix} would fit (output {fix_height}×{fix_width}).",
        "zh": "第 {index} 层“{layer}”接不住它 {height}×{width} 的输入：{reason}"
        "改成 {fix} 就可以（输出 {fix_height}×{fix_width}）。",
    },
    "error.net_too_big": {
        "en": "Layer {index} “{layer}” brings the network to {params} parameters; at most {limit} fit a small "
        "network. Use fewer channels or units, or a pooling before it.",
        "zh": "第 {index} 层“{layer}”让网络的参数达到 {params} 个；小网络最多 {limit} 个。"
        "请减少通道数或单元数，或者在它前面加一个池化层。",
    },
    "error.net_unknown_preset": {
        "en": "“{name}” is not a network preset. The presets are: {presets}.",
        "zh": "“{name}”不是预设网络。预设网络有：{presets}。",
    },
    "error.needs_map": {
        "en": "a conv or a pooling needs a map, not the list of numbers a fully connected layer leaves.",
        "zh": "卷积和池化需要特征图，而不是全连接层输出的一串数。",
    },
    "setting.padding": {"en": "the padding", "zh": "填充"},
    "setting.units": {"en": "the number of units", "zh": "单元数"},
}
