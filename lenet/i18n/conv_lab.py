"""UI strings of the Convolution lab page, and the messages for lenet.conv's LayerError codes.

The ideas follow the order of the tutorial this project teaches from (filter size, depth, stride,
padding, the integer check, same/valid, max/average pooling, strides replacing pooling), "Convolution
Neural Network in PyTorch": https://medium.com/nerd-for-tech/convolution-neural-network-in-pytorch-81023e7de5b9. The
wording is our own, aimed at a 15-year-old.
"""

STRINGS: dict[str, dict[str, str]] = {
    # --- page ------------------------------------------------------------------------------
    "lab.intro": {
        "en": "A convolution slides a small window (the filter) over an image and, at every stop, multiplies "
        "and adds. Change one layer's settings and see the size of what comes out, and why.",
        "zh": "卷积就是让一个小窗口（滤波器）在图像上滑动，每停一处就做一次“相乘再相加”。"
        "改一改这一层的设置，看看输出有多大，以及为什么。",
    },
    "lab.layer.title": {"en": "One layer", "zh": "单独一层"},
    "lab.height": {"en": "Input height H", "zh": "输入高度 H"},
    "lab.width": {"en": "Input width W", "zh": "输入宽度 W"},
    "lab.channels": {"en": "Input channels", "zh": "输入通道数"},
    "lab.channels.help": {
        "en": "How many maps come in: 1 for a grey image, 3 for colour, 6 after LeNet's C1.",
        "zh": "输入有几张图：灰度图是 1，彩色图是 3，LeNet 的 C1 之后是 6。",
    },
    "lab.op": {"en": "Layer", "zh": "层的类型"},
    "lab.op.conv": {"en": "Convolution", "zh": "卷积"},
    "lab.op.maxpool": {"en": "Max pooling", "zh": "最大池化"},
    "lab.op.avgpool": {"en": "Average pooling", "zh": "平均池化"},
    "lab.op.convtranspose": {"en": "Transposed convolution", "zh": "转置卷积"},
    "lab.kernel": {"en": "Filter size K", "zh": "滤波器尺寸 K"},
    "lab.kernel.help": {
        "en": "The window is K×K pixels. 3×3 and 5×5 are the usual choices.",
        "zh": "窗口大小是 K×K 个像素，常用 3×3 和 5×5。",
    },
    "lab.filters": {"en": "Depth (number of filters)", "zh": "深度（滤波器个数）"},
    "lab.filters.help": {
        "en": "Each filter looks for its own pattern and makes one output map.",
        "zh": "每个滤波器寻找一种自己的图案，并生成一张输出图。",
    },
    "lab.stride": {"en": "Stride S", "zh": "步幅 S"},
    "lab.stride.help": {"en": "How many pixels the window jumps each step.", "zh": "窗口每一步跳过几个像素。"},
    "lab.padding_mode": {"en": "Padding", "zh": "填充方式"},
    "lab.padding_mode.number": {"en": "a number", "zh": "指定数值"},
    "lab.padding_mode.same": {"en": "same", "zh": "same"},
    "lab.padding_mode.valid": {"en": "valid (none)", "zh": "valid（不填充）"},
    "lab.padding": {"en": "Padding P", "zh": "填充 P"},
    "lab.padding.help": {"en": "Rings of zeros added around the image.", "zh": "在图像四周补上几圈 0。"},
    "lab.dilation": {"en": "Dilation D", "zh": "膨胀 D"},
    "lab.dilation.help": {
        "en": "Spreads the filter's cells apart: D−1 pixels are skipped between them.",
        "zh": "把滤波器的格子拉开：相邻格子之间跳过 D−1 个像素。",
    },
    "lab.ceil": {"en": "Ceil mode (round up)", "zh": "向上取整（ceil mode）"},
    "lab.ceil.help": {
        "en": "Pooling only: keep a last window that hangs over the edge.",
        "zh": "仅用于池化：保留最后一个超出边缘的窗口。",
    },
    "lab.ceil.conv": {
        "en": "Ceil mode exists only for pooling; a convolution always rounds down.",
        "zh": "只有池化层有向上取整模式；卷积总是向下取整。",
    },
    "lab.link": {
        "en": "The address bar now holds these settings: copy the link to share them.",
        "zh": "浏览器地址栏里已经记下了这些设置，复制链接就能分享。",
    },
    "lab.query.bad": {
        "en": "The link's {setting}={value} could not be read, so the lab uses {used}.",
        "zh": "链接里的 {setting}={value} 无法识别，实验室改用 {used}。",
    },
    "lab.query.clamped": {
        "en": "The link asked for {setting}={value}, which is outside what the lab offers, so it uses {used}.",
        "zh": "链接里的 {setting}={value} 超出了实验室允许的范围，因此改用 {used}。",
    },
    # --- result ------------------------------------------------------------------------------
    "lab.result": {"en": "Output: {h}×{w}, depth {c}", "zh": "输出：{h}×{w}，深度 {c}"},
    "lab.result.input": {"en": "Input {h}×{w}, depth {c}", "zh": "输入 {h}×{w}，深度 {c}"},
    "lab.invalid": {"en": "This layer cannot work: {reason}", "zh": "这一层无法工作：{reason}"},
    "lab.formula": {"en": "The output size, with your numbers:", "zh": "用你的数字代入输出尺寸公式："},
    "lab.formula.same": {
        "en": "With padding “same”, PyTorch adds {total} zeros per axis, {before} before and "
        "{after} after, so that the output is as big as the input.",
        "zh": "选 “same” 时，PyTorch 在每个方向补 {total} 个 0（前面 {before} 个，后面 {after} 个），"
        "让输出和输入一样大。",
    },
    "lab.formula.dilation": {
        "en": "With dilation D the window reaches D(K−1)+1 = {span} pixels.",
        "zh": "膨胀为 D 时，窗口覆盖 D(K−1)+1 = {span} 个像素。",
    },
    "lab.params": {"en": "Learned parameters", "zh": "可学习参数"},
    "lab.params.help": {
        "en": "{f} filters × {c} channels × {k}×{k} weights, plus {f} biases.",
        "zh": "{f} 个滤波器 × {c} 个通道 × {k}×{k} 个权重，再加 {f} 个偏置。",
    },
    "lab.params.pool": {
        "en": "Pooling learns nothing: it only compares or averages.",
        "zh": "池化层不学习任何参数：它只做比较或求平均。",
    },
    "lab.macs": {"en": "Multiply-adds per image", "zh": "每张图的乘加次数"},
    "lab.macs.help": {
        "en": "{h}×{w} positions × {f} filters × {c} channels × {k}×{k}.",
        "zh": "{h}×{w} 个位置 × {f} 个滤波器 × {c} 个通道 × {k}×{k}。",
    },
    "lab.reads.maxpool": {"en": "Values compared per image", "zh": "每张图比较的数值个数"},
    "lab.reads.avgpool": {"en": "Values added per image", "zh": "每张图相加的数值个数"},
    "lab.fit.exact": {
        "en": "The check (W − K + 2P)/S + 1 gives a whole number, so the stride fits: the windows "
        "end exactly at the edge.",
        "zh": "检验式 (W − K + 2P)/S + 1 得到整数，说明步幅合适：窗口正好停在边缘。",
    },
    "lab.fit.not_exact": {
        "en": "The stride does not fit the {axis}: (W − K + 2P)/S + 1 is not a whole number. "
        "PyTorch rounds down, to {out}: a last window that would stick out past the edge "
        "is not made.",
        "zh": "步幅与{axis}不匹配：(W − K + 2P)/S + 1 不是整数。PyTorch 向下取整得到 {out}："
        "会伸出边缘的最后一个窗口不会被计算。",
    },
    "lab.fit.ceil": {
        "en": "The stride does not fit the {axis}: (W − K + 2P)/S + 1 is not a whole number. In ceil "
        "mode PyTorch rounds up, to {out}: the last window hangs over the edge and uses only "
        "what is inside.",
        "zh": "步幅与{axis}不匹配：(W − K + 2P)/S + 1 不是整数。在向上取整模式下 PyTorch 得到 {out}："
        "最后一个窗口伸出边缘，只使用边缘以内的部分。",
    },
    "lab.fit.trimmed": {
        "en": "PyTorch then drops one more window, because it would start in the padding and see no image at all.",
        "zh": "PyTorch 随后又去掉一个窗口，因为它会从填充区开始，完全看不到图像。",
    },
    "lab.axis.rows": {"en": "height", "zh": "高度"},
    "lab.axis.cols": {"en": "width", "zh": "宽度"},
    "lab.axis.both": {"en": "height and width", "zh": "高度和宽度"},
    "lab.uncovered.rows": {
        "en": "Rows that no window ever covers, at the bottom: {lines} (counting from 1).",
        "zh": "底部的第 {lines} 行不会被任何窗口覆盖（从 1 开始数）。",
    },
    "lab.uncovered.cols": {
        "en": "Columns that no window ever covers, on the right: {lines} (counting from 1).",
        "zh": "右侧的第 {lines} 列不会被任何窗口覆盖（从 1 开始数）。",
    },
    "lab.uncovered.padding_only": {
        "en": "Only padding is left out on the {axis}: every real pixel is still read.",
        "zh": "{axis}方向只漏掉了填充的 0：真正的像素都被读到了。",
    },
    "lab.gaps.rows": {
        "en": "Rows skipped between windows, because the stride jumps further than the window "
        "reaches: {lines} (counting from 1).",
        "zh": "第 {lines} 行落在两个窗口之间而被跳过：步幅比窗口覆盖的范围还大（从 1 开始数）。",
    },
    "lab.gaps.cols": {
        "en": "Columns skipped between windows, because the stride jumps further than the window "
        "reaches: {lines} (counting from 1).",
        "zh": "第 {lines} 列落在两个窗口之间而被跳过：步幅比窗口覆盖的范围还大（从 1 开始数）。",
    },
    "lab.gaps.dilation": {
        "en": "With dilation {d}, the filter's cells have gaps, and {axis} {lines} are never read (counting from 1).",
        "zh": "膨胀为 {d} 时，滤波器的格子之间有空隙，{axis}方向的第 {lines} 个像素从未被读取（从 1 开始数）。",
    },
    "lab.suggest": {"en": "Nearby settings that fit:", "zh": "附近能整除的设置："},
    "lab.suggest.working": {"en": "Nearby settings that work:", "zh": "附近可行的设置："},
    "lab.suggest.item": {"en": "{change} → output {h}×{w}", "zh": "{change} → 输出 {h}×{w}"},
    "lab.change.padding": {"en": "padding {value}", "zh": "填充 {value}"},
    "lab.change.stride": {"en": "stride {value}", "zh": "步幅 {value}"},
    "lab.change.kernel": {"en": "filter size {value}", "zh": "滤波器尺寸 {value}"},
    "lab.change.dilation": {"en": "dilation {value}", "zh": "膨胀 {value}"},
    "setting.input": {"en": "the input size", "zh": "输入尺寸"},
    "setting.kernel": {"en": "the filter size", "zh": "滤波器尺寸"},
    "setting.stride": {"en": "the stride", "zh": "步幅"},
    "setting.dilation": {"en": "the dilation", "zh": "膨胀"},
    "setting.output_padding": {"en": "the output padding", "zh": "输出填充"},
    "setting.input_channels": {"en": "the number of input channels", "zh": "输入通道数"},
    "setting.filters": {"en": "the number of filters", "zh": "滤波器个数"},
    "setting.channels": {"en": "the number of filters", "zh": "滤波器个数"},
    # --- the picture -----------------------------------------------------------------------------
    "lab.picture.title": {"en": "Watch the window slide", "zh": "看窗口如何滑动"},
    "lab.picture.caption": {
        "en": "Left: the input with its padding (marked ×). The orange squares are the filter's "
        "cells. Right: the output; the orange square is the number this window makes. "
        "Drag the slider or press play.",
        "zh": "左边是加了填充（用 × 标出）的输入，橙色方格是滤波器的格子。右边是输出，"
        "橙色方格就是这个窗口算出的那个数。拖动滑块或点击播放。",
    },
    "lab.picture.clipped": {
        "en": "This input is large, so only its top-left {h}×{w} corner and the {n} window "
        "positions inside it are drawn.",
        "zh": "输入太大，这里只画出左上角 {h}×{w} 的部分，以及其中的 {n} 个窗口位置。",
    },
    "lab.picture.too_big": {
        "en": "The window reaches {span} pixels: too wide to draw here. Try a smaller filter or dilation.",
        "zh": "窗口覆盖 {span} 个像素，太大了，这里画不下。试试更小的滤波器或膨胀。",
    },
    "lab.picture.invalid": {
        "en": "Fix the layer above to see the window move.",
        "zh": "先把上面的层改成可行的设置，才能看到窗口移动。",
    },
    "lab.picture.input": {"en": "input + padding", "zh": "输入 + 填充"},
    "lab.picture.output": {"en": "output", "zh": "输出"},
    "lab.picture.padding": {"en": "padding", "zh": "填充"},
    "lab.picture.play": {"en": "Play", "zh": "播放"},
    "lab.picture.pause": {"en": "Pause", "zh": "暂停"},
    "lab.picture.position": {"en": "position", "zh": "位置"},
    # --- the digit -------------------------------------------------------------------------------
    "lab.digit.title": {"en": "Try it on a real digit", "zh": "在真实的手写数字上试一试"},
    "lab.digit.pick": {"en": "Digit", "zh": "数字"},
    "lab.digit.synthetic": {
        "en": "MNIST is not on this computer, so the lab uses a drawn 7.",
        "zh": "这台电脑上没有 MNIST，所以实验室用一个画出来的 7。",
    },
    "lab.digit.resized": {
        "en": "The 28×28 digit is resized to {h}×{w} to match the input size.",
        "zh": "28×28 的数字被缩放成 {h}×{w}，以匹配输入尺寸。",
    },
    "lab.digit.one_channel": {
        "en": "A digit has one channel, so here every filter reads just that one map.",
        "zh": "手写数字只有一个通道，所以这里每个滤波器只读这一张图。",
    },
    "lab.digit.too_big": {
        "en": "The digit demo works up to {n}×{n} inputs; make the input smaller to try it.",
        "zh": "数字演示最多支持 {n}×{n} 的输入，把输入调小一些再试。",
    },
    "lab.digit.input": {"en": "input", "zh": "输入"},
    "lab.digit.map": {"en": "map {i}", "zh": "第 {i} 张图"},
    "lab.digit.pooled": {"en": "pooled", "zh": "池化后"},
    "lab.digit.more": {
        "en": "Showing {shown} of the {total} output maps.",
        "zh": "显示了 {total} 张输出图中的 {shown} 张。",
    },
    "lab.preset": {"en": "Filters", "zh": "滤波器"},
    "lab.preset.edge_horizontal": {"en": "horizontal edges", "zh": "水平边缘"},
    "lab.preset.edge_vertical": {"en": "vertical edges", "zh": "竖直边缘"},
    "lab.preset.blur": {"en": "blur", "zh": "模糊"},
    "lab.preset.sharpen": {"en": "sharpen", "zh": "锐化"},
    "lab.preset.random": {"en": "random (an untrained layer)", "zh": "随机（未训练的层）"},
    "lab.preset.trained": {"en": "the trained model's C1 filters", "zh": "训练好的模型的 C1 滤波器"},
    "lab.preset.single": {
        "en": "A hand-made filter is just one filter, so you see one map. With depth {depth} the "
        "layer would have {depth} different filters: choose random or trained to see several.",
        "zh": "手工设计的滤波器只有一个，所以只看到一张图。深度为 {depth} 时，这一层会有 {depth} "
        "个不同的滤波器：选“随机”或“训练好的”就能看到多张。",
    },
    "lab.preset.trained_size": {
        "en": "The trained model's C1 filters are {k}×{k}. Set the filter size to {k} to use them.",
        "zh": "训练好的模型的 C1 滤波器是 {k}×{k} 的。把滤波器尺寸设为 {k} 就能使用它们。",
    },
    "lab.preset.use_size": {"en": "Use {k}×{k}", "zh": "改用 {k}×{k}"},
    "lab.preset.trained_fewer": {
        "en": "The trained model has {n} C1 filters, so {n} maps are shown.",
        "zh": "训练好的模型只有 {n} 个 C1 滤波器，因此显示 {n} 张图。",
    },
    "lab.preset.no_model": {
        "en": "No trained model is available; showing random filters instead.",
        "zh": "没有可用的训练好的模型，改为显示随机滤波器。",
    },
    "lab.kernels": {
        "en": "The filters (orange: positive weights, purple: negative)",
        "zh": "滤波器（橙色为正权重，紫色为负权重）",
    },
    "lab.kernel_n": {"en": "filter {i}", "zh": "滤波器 {i}"},
    # --- the whole network -----------------------------------------------------------------------
    "lab.net.title": {"en": "A whole network", "zh": "整个网络"},
    "lab.net.intro": {
        "en": "Build a network for 28×28 digits layer by layer: start from a preset, add, remove, duplicate or move "
        "layers, change a layer's settings, or type the whole list. Every shape and cost below is recomputed at "
        "once, and a layer that cannot work says why on its own row.",
        "zh": "一层一层地为 28×28 的数字搭一个网络：从预设开始，添加、删除、复制或移动层，修改某一层的设置，"
        "或者直接写出整个列表。下面的每个形状和开销都会立即重新计算；无法工作的层会在它自己那一行说明原因。",
    },
    "lab.net.preset": {"en": "Start from a preset", "zh": "从预设开始"},
    "lab.net.preset.lenet5": {"en": "LeNet-5", "zh": "LeNet-5"},
    "lab.net.preset.lenet5-1998": {"en": "LeNet-5 (1998)", "zh": "LeNet-5（1998）"},
    "lab.net.preset.allconv": {"en": "All-conv", "zh": "全卷积"},
    "lab.net.preset.tiny": {"en": "Tiny", "zh": "微型"},
    "lab.net.preset.wide": {"en": "Wide", "zh": "加宽"},
    "lab.net.preset_help": {
        "en": "LeNet-5: the shipped model. 1998: tanh and average pooling, as in the paper. All-conv: every pooling "
        "replaced by a learned stride-2 convolution. Tiny: two 3×3 convolutions and one small fully connected "
        "layer. Wide: LeNet-5 with more channels.",
        "zh": "LeNet-5：应用自带的模型。1998：像论文里那样用 tanh 和平均池化。全卷积：每个池化都换成"
        "可学习的步幅 2 卷积。微型：两个 3×3 卷积加一个小的全连接层。加宽：通道更多的 LeNet-5。",
    },
    "lab.net.text": {"en": "The whole list as text", "zh": "整个列表（文本）"},
    "lab.net.text_help": {
        "en": "Layers separated by commas: c6k5p2 (a conv: 6 filters 5×5, padding 2; also s for stride, d for "
        "dilation, psame), mp2 or ap2 (max or average pooling), relu, tanh, sigmoid, gelu, bn, drop0.25, fc84 "
        "(fully connected). The last layer is fc10. A preset's name works too.",
        "zh": "用逗号分隔各层：c6k5p2（卷积：6 个 5×5 滤波器，填充 2；还可以写 s 表示步幅、d 表示膨胀、psame），"
        "mp2 或 ap2（最大或平均池化），relu、tanh、sigmoid、gelu、bn、drop0.25、fc84（全连接）。"
        "最后一层是 fc10。也可以写预设的名字。",
    },
    "lab.net.text_kept": {
        "en": "That list was not used, and the design is unchanged: {reason}",
        "zh": "没有采用这个列表，设计保持不变：{reason}",
    },
    "lab.net.url_bad": {
        "en": "The link's network could not be read, so the designer starts from LeNet-5. {reason}",
        "zh": "无法读取链接里的网络，所以设计器从 LeNet-5 开始。{reason}",
    },
    "lab.net.edit": {"en": "Edit a layer", "zh": "编辑一层"},
    "lab.net.layer": {"en": "Layer", "zh": "层"},
    "lab.net.layer_option": {"en": "{index} · {text}", "zh": "{index} · {text}"},
    "lab.net.kind": {"en": "Kind", "zh": "类型"},
    "lab.net.kind.conv": {"en": "convolution", "zh": "卷积"},
    "lab.net.kind.maxpool": {"en": "max pooling", "zh": "最大池化"},
    "lab.net.kind.avgpool": {"en": "average pooling", "zh": "平均池化"},
    "lab.net.kind.relu": {"en": "ReLU", "zh": "ReLU"},
    "lab.net.kind.tanh": {"en": "tanh", "zh": "tanh"},
    "lab.net.kind.sigmoid": {"en": "sigmoid", "zh": "sigmoid"},
    "lab.net.kind.gelu": {"en": "GELU", "zh": "GELU"},
    "lab.net.kind.bn": {"en": "batch norm", "zh": "批归一化"},
    "lab.net.kind.dropout": {"en": "dropout", "zh": "dropout（随机丢弃）"},
    "lab.net.kind.fc": {"en": "fully connected", "zh": "全连接"},
    "lab.net.not_a_layer": {
        "en": "Layer {index} is not a layer yet: pick its kind, or fix it in the text above.",
        "zh": "第 {index} 层还不是一个有效的层：请选一个类型，或者在上面的文本里改正它。",
    },
    "lab.net.no_settings": {"en": "This kind of layer has no settings.", "zh": "这种层没有可调的设置。"},
    "lab.net.size.conv": {"en": "Filters (output channels)", "zh": "滤波器个数（输出通道）"},
    "lab.net.size.fc": {"en": "Units", "zh": "神经元个数"},
    "lab.net.kernel": {"en": "Kernel", "zh": "核尺寸"},
    "lab.net.stride": {"en": "Stride", "zh": "步幅"},
    "lab.net.padding": {"en": "Padding", "zh": "填充"},
    "lab.net.same": {"en": "Padding “same”", "zh": "“same”填充"},
    "lab.net.dilation": {"en": "Dilation", "zh": "膨胀"},
    "lab.net.p": {"en": "Drop probability", "zh": "丢弃概率"},
    "lab.net.up": {"en": "Move up", "zh": "上移"},
    "lab.net.down": {"en": "Move down", "zh": "下移"},
    "lab.net.duplicate": {"en": "Duplicate", "zh": "复制"},
    "lab.net.remove": {"en": "Remove", "zh": "删除"},
    "lab.net.add_kind": {"en": "Add a layer of kind", "zh": "添加一层，类型"},
    "lab.net.add": {"en": "Add after layer {index}", "zh": "添加到第 {index} 层之后"},
    "lab.net.col.index": {"en": "#", "zh": "序号"},
    "lab.net.col.layer": {"en": "layer", "zh": "层"},
    "lab.net.col.block": {"en": "block", "zh": "块"},
    "lab.net.col.output": {"en": "output shape", "zh": "输出形状"},
    "lab.net.col.params": {"en": "parameters", "zh": "参数"},
    "lab.net.col.receptive": {"en": "receptive field", "zh": "感受野"},
    "lab.net.col.macs": {"en": "multiply-adds", "zh": "乘加次数"},
    "lab.net.col.memory": {"en": "activations", "zh": "激活内存"},
    "lab.net.input": {"en": "input", "zh": "输入"},
    "lab.net.totals": {"en": "Total", "zh": "合计"},
    "lab.net.region": {"en": "The network's layers", "zh": "网络的各层"},
    "lab.net.costs": {
        "en": "Per image: {params} parameters, {macs} multiply-adds, {memory} of activations (float32). The "
        "receptive field is how many input pixels, per side, one unit of the layer depends on; it may reach "
        "into the padding, so it can be wider than the image. A block (conv1, pool1, …) is a conv, pooling or "
        "fully connected layer with the activation, batch norm and dropout after it: what the other pages show.",
        "zh": "每张图：{params} 个参数，{macs} 次乘加，{memory} 的激活（float32）。感受野是该层的一个单元"
        "依赖的输入像素范围（每边多少像素）；它可能伸到填充里，所以可以比图像还宽。一个块（conv1、pool1……）"
        "是一个卷积、池化或全连接层，加上它后面的激活、批归一化和 dropout：其他页面展示的就是块。",
    },
    "lab.net.row_fails": {
        "en": "Layer {index} “{layer}” cannot take its input: {reason}",
        "zh": "第 {index} 层“{layer}”接不住它的输入：{reason}",
    },
    "lab.net.col.arithmetic": {"en": "arithmetic", "zh": "公式计算"},
    "lab.net.col.pytorch": {"en": "PyTorch", "zh": "PyTorch"},
    "lab.net.col.name": {"en": "block", "zh": "块"},
    "lab.net.train": {"en": "Send to Train", "zh": "发送到“训练”"},
    "lab.net.train_help": {"en": "Opens the Train page with this network.", "zh": "带着这个网络打开“训练”页面。"},
    "lab.net.train_invalid": {
        "en": "Fix the layer marked in the table first: only a network that works can be trained.",
        "zh": "请先修好表格里标出的那一层：只有能工作的网络才能训练。",
    },
    "lab.net.check": {"en": "Check with PyTorch", "zh": "用 PyTorch 验证"},
    "lab.net.check_intro": {
        "en": "Builds the network in PyTorch and pushes one blank image through it.",
        "zh": "在 PyTorch 里搭建这个网络，并让一张空白图像通过它。",
    },
    "lab.net.check_run": {"en": "Run a forward pass", "zh": "运行一次前向传播"},
    "lab.net.check_ok": {"en": "PyTorch agrees on every shape.", "zh": "PyTorch 给出的每个形状都一致。"},
    "lab.net.check_diff": {"en": "PyTorch disagrees on {names}.", "zh": "PyTorch 在 {names} 上结果不同。"},
    "lab.net.check_invalid": {
        "en": "The network cannot be built until every layer works.",
        "zh": "要等每一层都可行，才能搭建这个网络。",
    },
    # --- ideas -----------------------------------------------------------------------------------
    "lab.learn.title": {"en": "The ideas, in short", "zh": "几个概念，简单说"},
    "lab.learn.filter": {
        "en": "**Filter size.** A filter is a small grid of numbers, say 5×5. Put it on a patch of the image, multiply "
        "each pixel by the number on top of it and add everything up: that is one output number. A bigger "
        "filter sees more at once but has more numbers to learn. 3×3 and 5×5 are the usual choices.",
        "zh": "**滤波器尺寸。** 滤波器是一个小小的数字网格，比如 5×5。把它放在图像的一块区域上，"
        "每个像素乘以它上面的数字，再全部加起来，就得到一个输出数。滤波器越大，一次看到的越多，"
        "但要学的数字也越多。常用 3×3 和 5×5。",
    },
    "lab.learn.depth": {
        "en": "**Depth.** A layer has many filters, and each one hunts for its own pattern: one for edges, one for "
        "curves, and so on. Each filter makes one output map, so the number of filters is the depth of the "
        "output. Deeper layers usually get more filters (LeNet: 6, then 16, then 120).",
        "zh": "**深度。** 一层里有很多个滤波器，每个都在寻找自己的图案：有的找边缘，有的找弧线……"
        "每个滤波器生成一张输出图，所以滤波器的个数就是输出的深度。越往后的层通常滤波器越多"
        "（LeNet：6 个，然后 16 个，再然后 120 个）。",
    },
    "lab.learn.stride": {
        "en": "**Stride.** How far the filter jumps between stops. Stride 1 visits every position; stride 2 skips "
        "every other one, so the output is about half as wide and the layer is faster. The stride fits when "
        "(W − K + 2P)/S + 1 is a whole number; otherwise PyTorch rounds down and the last pixels are left out.",
        "zh": "**步幅。** 滤波器每次跳多远。步幅为 1 时每个位置都经过；步幅为 2 时隔一个跳一个，"
        "输出宽度大约减半，计算也更快。当 (W − K + 2P)/S + 1 是整数时步幅才合适，"
        "否则 PyTorch 会向下取整，最后几个像素就被漏掉了。",
    },
    "lab.learn.padding": {
        "en": "**Padding.** Without help, a 5×5 filter cannot be centred on the border pixels, so every layer "
        "shrinks the image by 4 pixels. Padding adds rings of zeros around the image so the filter can reach "
        "the border too, and the size shrinks less, or not at all.",
        "zh": "**填充。** 如果不做处理，5×5 的滤波器无法以边缘像素为中心，所以每经过一层，图像就缩小 4 个像素。"
        "填充是在图像周围补几圈 0，让滤波器也能照顾到边缘，尺寸就缩得少，甚至不缩。",
    },
    "lab.learn.same_valid": {
        "en": "**“same” and “valid”.** “same” adds just enough zeros that the output is as big as the input "
        "(with stride 1). “valid” adds none: the filter only stops where it fits completely, so the output "
        "is smaller. Deep networks like “same”, or the image would vanish after a few layers.",
        "zh": "**“same” 和 “valid”。** “same” 补上刚好够用的 0，使输出和输入一样大（步幅为 1 时）。"
        "“valid” 不补 0：滤波器只停在完全放得下的位置，所以输出会变小。"
        "很深的网络喜欢用 “same”，否则图像经过几层就缩没了。",
    },
    "lab.learn.pooling": {
        "en": "**Max and average pooling.** Pooling shrinks a map without learning anything. Max pooling keeps the "
        "strongest value in each window: the clearest, brightest feature. Average pooling keeps the mean: a "
        "smoother summary. Either way a small shift of the digit changes the result less.",
        "zh": "**最大池化和平均池化。** 池化把图缩小，但不学习任何参数。最大池化在每个窗口里保留最大的值，"
        "也就是最清楚、最亮的特征；平均池化保留平均值，是更平滑的概括。"
        "两种方式都能让数字稍微移动一点时，结果变化更小。",
    },
    "lab.learn.strided": {
        "en": "**Strides replacing pooling.** Modern networks often skip pooling: a convolution with stride 2 "
        "shrinks the map just as well, and it learns how to do it. Try it in the network below: set the "
        "downsampling to “a strided convolution”.",
        "zh": "**用步幅代替池化。** 现代网络常常不再使用池化：步幅为 2 的卷积同样能把图缩小，"
        "而且它还能学会怎样缩小。在下面的网络里试试：把降采样方式改成“带步幅的卷积”。",
    },
    # --- transposed convolution ----------------------------------------------------------------
    "lab.output_padding": {"en": "Output padding", "zh": "输出填充"},
    "lab.output_padding.help": {
        "en": "Transposed convolution only: extra rows and columns at the bottom and right of the output. "
        "It must be smaller than the stride or the dilation.",
        "zh": "仅用于转置卷积：在输出的下方和右侧多加几行几列。它必须小于步幅或膨胀。",
    },
    "lab.ceil.transposed": {
        "en": "Ceil mode exists only for pooling; a transposed convolution never rounds.",
        "zh": "只有池化层有向上取整模式；转置卷积从不取整。",
    },
    "lab.tr.formula": {
        "en": "The output size, with your numbers (PyTorch's ConvTranspose2d):",
        "zh": "用你的数字代入输出尺寸公式（PyTorch 的 ConvTranspose2d）：",
    },
    "lab.tr.how": {
        "en": "**How it works.** Each input pixel is spread out: S − 1 = {gap} zeros go between neighbours. "
        "The result is padded with D(K − 1) − P = {inner} zeros on each side (a negative number crops instead), "
        "and an ordinary convolution with stride 1 runs over it. Seen from the input: every pixel paints a "
        "K×K patch of the output with the filter, scaled by its value; where patches overlap, they add up.",
        "zh": "**它是怎么算的。** 先把输入“摊开”：相邻像素之间插入 S − 1 = {gap} 个 0。"
        "再在四周各补 D(K − 1) − P = {inner} 圈 0（负数表示反过来裁掉），然后用步幅 1 做一次普通卷积。"
        "从输入的角度看：每个像素用滤波器在输出上“印”出一块 K×K 的图案，图案按像素值缩放；图案重叠的地方相加。",
    },
    "lab.tr.undo": {
        "en": "**The convolution it undoes.** A convolution with the same K, S, P and D, run on this output:",
        "zh": "**它“撤销”的那个卷积。** 用同样的 K、S、P、D 的卷积作用在这个输出上：",
    },
    "lab.tr.back": {
        "en": "The shapes go back: {h}×{w} → transposed conv → {oh}×{ow} → conv → {h}×{w}. "
        "Only the shape comes back, not the numbers: a transposed convolution is not an inverse.",
        "zh": "尺寸变回来了：{h}×{w} → 转置卷积 → {oh}×{ow} → 卷积 → {h}×{w}。"
        "变回来的只是尺寸，不是数值：转置卷积并不是卷积的逆运算。",
    },
    "lab.tr.not_back": {
        "en": "With output padding {op} (not below the stride {s}) the convolution gives {bh}×{bw}, not the "
        "input's {h}×{w}: the extra rows and columns are a whole stride.",
        "zh": "输出填充是 {op}（不小于步幅 {s}），所以卷积得到的是 {bh}×{bw}，而不是输入的 {h}×{w}："
        "多出来的行列已经够一整个步幅了。",
    },
    "lab.tr.why": {
        "en": "**Why output padding exists.** A convolution with stride {s} rounds down, so {axis} of {sizes} "
        "pixels all become {n}. Going back, a transposed convolution has to pick one of them: {choices}.",
        "zh": "**为什么需要输出填充。** 步幅为 {s} 的卷积会向下取整，所以{axis}为 {sizes} 个像素的输入都会变成 {n}。"
        "反过来时，转置卷积只能选其中一个：{choices}。",
    },
    # the choices listed as "A, B and C": each one, then joined two at a time
    "lab.tr.why.choice": {"en": "output padding {op} gives {size}", "zh": "输出填充 {op} 得到 {size}"},
    "lab.tr.why.more": {"en": "{rest}, {next}", "zh": "{rest}，{next}"},
    "lab.tr.why.last": {"en": "{rest} and {next}", "zh": "{rest}，{next}"},
    "lab.tr.why.picked": {
        "en": "This setting picks output padding {op}, which gives {chosen}.",
        "zh": "这里选的是输出填充 {op}，得到 {chosen}。",
    },
    "lab.tr.why.then": {"en": "{why} {picked}", "zh": "{why}{picked}"},
    "lab.tr.why.stride1": {
        "en": "**Why output padding exists.** With stride 1 no two input sizes give the same output, so output "
        "padding has nothing to choose here; try stride 2, where a conv turns two sizes into one.",
        "zh": "**为什么需要输出填充。** 步幅为 1 时，不同的输入尺寸不会得到相同的输出，所以这里输出填充没什么可选的；"
        "试试步幅 2，那时卷积会把两个尺寸变成同一个。",
    },
    "lab.axis.height": {"en": "a height", "zh": "高度"},
    "lab.axis.width": {"en": "a width", "zh": "宽度"},
    "lab.picture.tr.caption": {
        "en": "Left: the input. Middle: the input spread out by the stride (bright: the input's pixels; dark: the "
        "zeros put between them) and padded (×). Right: the output, coloured by how many input pixels paint each "
        "cell; uneven overlaps are the checkerboard transposed convolutions are known for. The orange squares "
        "show which output cells the selected input pixel paints. Drag the slider or press play.",
        "zh": "左：输入。中：按步幅摊开的输入（亮的是输入的像素，暗的是插进去的 0），以及填充（×）。"
        "右：输出，颜色表示每个格子被几个输入像素“印”到；重叠不均匀就会出现转置卷积常见的棋盘格。"
        "橙色方框标出所选输入像素印到的输出格子。拖动滑块或按播放。",
    },
    "lab.picture.spread": {"en": "spread + padding", "zh": "摊开 + 填充"},
    "lab.picture.painted": {"en": "output (pixels painting each cell)", "zh": "输出（每格被几个像素印到）"},
    "lab.picture.tr.too_big": {
        "en": "This output is too large to draw here; try a smaller stride, filter or input.",
        "zh": "输出太大，这里画不下；试试更小的步幅、滤波器或输入。",
    },
    "lab.picture.tr.clipped": {
        "en": "Only the input's top-left {h}×{w} pixels and the output cells they paint are drawn.",
        "zh": "这里只画出输入左上角 {h}×{w} 的像素，以及它们印到的输出格子。",
    },
    "lab.digit.too_big_output": {
        "en": "The output ({h}×{w}) is too large for the digit demo; make the stride or the input smaller.",
        "zh": "输出（{h}×{w}）太大，数字演示画不下；请把步幅或输入调小。",
    },
    "lab.learn.transposed": {
        "en": "**Transposed convolution.** It goes the other way: a small map becomes a bigger one (decoders and "
        "image generators use it). It is not the inverse of a convolution: it gives back the shape, not the "
        "numbers. Its settings are those of the convolution it mirrors, and output padding picks the size when "
        "several would do.",
        "zh": "**转置卷积。** 它往反方向走：把小图变成大图（解码器和图像生成网络会用它）。它不是卷积的逆运算："
        "它还原的是尺寸，不是数值。它的设置就是它所对应的那个卷积的设置；当好几个尺寸都说得通时，由输出填充来选。",
    },
    # --- guess, then reveal ----------------------------------------------------------------------
    "lab.ex.title": {"en": "Guess, then check", "zh": "先猜，再核对"},
    "lab.ex.intro": {
        "en": "Work out the output size before the lab tells you. Type it (like 12 or 12x10), or type "
        "“doesn't fit” if PyTorch would refuse the layer.",
        "zh": "在实验室告诉你之前，先自己算出输出尺寸。输入答案（如 12 或 12x10）；如果 PyTorch 会拒绝这一层，"
        "就输入“放不下”。",
    },
    "lab.ex.level": {"en": "Level", "zh": "难度"},
    "lab.ex.level.easy": {"en": "easy: no padding, no dilation", "zh": "简单：无填充、无膨胀"},
    "lab.ex.level.harder": {"en": "harder: padding and dilation", "zh": "进阶：有填充和膨胀"},
    "lab.ex.level.tricky": {"en": "tricky: settings that don't fit", "zh": "陷阱：不合适的设置"},
    "lab.ex.question": {
        "en": "**Exercise {n}.** A {op} layer on a {size}×{size} input: filter K = {k}, stride S = {s}, "
        "padding P = {p}, dilation D = {d}. What size comes out?",
        "zh": "**第 {n} 题。** 一个{op}层，输入 {size}×{size}：滤波器 K = {k}，步幅 S = {s}，"
        "填充 P = {p}，膨胀 D = {d}。输出是多大？",
    },
    "lab.ex.padding_same": {"en": "“same”", "zh": "“same”"},
    "lab.ex.answer": {"en": "Your answer", "zh": "你的答案"},
    "lab.ex.placeholder": {"en": "12, 12x10 or doesn't fit", "zh": "12、12x10 或 放不下"},
    "lab.ex.check": {"en": "Check", "zh": "核对"},
    "lab.ex.next": {"en": "Next exercise", "zh": "下一题"},
    "lab.ex.score": {"en": "Score (right / answered)", "zh": "得分（答对 / 已答）"},
    "lab.ex.unreadable": {
        "en": "That is not a size. Type a number like 12, a size like 12x10, or “doesn't fit”.",
        "zh": "这不是一个尺寸。请输入像 12 这样的数字、像 12x10 这样的尺寸，或者“放不下”。",
    },
    "lab.ex.no_fit": {"en": "it doesn't fit", "zh": "放不下"},
    "lab.ex.right": {"en": "Right: {answer}.", "zh": "答对了：{answer}。"},
    "lab.ex.wrong": {
        "en": "Not quite: the answer is {answer}. Here is why.",
        "zh": "不太对：答案是 {answer}。原因如下。",
    },
    "lab.ex.why_not": {"en": "PyTorch refuses this layer: {reason}", "zh": "PyTorch 拒绝这一层：{reason}"},
    "lab.ex.rounded": {
        "en": "The stride does not tile the input exactly, so the division rounds down:",
        "zh": "步幅不能正好铺满输入，所以除法要向下取整：",
    },
    "lab.ex.share": {
        "en": "To give the whole class these exercises, share this page's link with ?exercise={seed} added.",
        "zh": "想让全班做同样的题目，就分享本页链接，并在后面加上 ?exercise={seed}。",
    },
    "lab.ex.shared": {
        "en": "Everyone with this link (exercise={seed}) gets the same exercises.",
        "zh": "拿到这个链接（exercise={seed}）的每个人都会做同样的题目。",
    },
    # --- take it away (the designer's export, and the Train page's script: lenet.conv.export) ----------
    "lab.net.export": {"en": "Copy as PyTorch", "zh": "复制为 PyTorch 代码"},
    "lab.net.export_help": {
        "en": "A self-contained file: the network as an nn.Module, with the same layer names as the app, so it "
        "loads the app's checkpoints. Run it to print every layer's shape; they match the table above. "
        "The copy button is at the code's top right.",
        "zh": "一个独立的文件：把这个网络写成 nn.Module，层的名字与应用里相同，所以能载入应用的检查点。"
        "运行它会打印每一层的形状，与上面的表格一致。复制按钮在代码的右上角。",
    },
    "lab.net.export_invalid": {
        "en": "Fix the network above first: only a network that works can be exported.",
        "zh": "请先修好上面的网络：只有能工作的网络才能导出。",
    },
    "lab.net.export_download": {"en": "Download lenet_network.py", "zh": "下载 lenet_network.py"},
    "export.script": {"en": "Download as a script", "zh": "下载为脚本"},
    "export.script_help": {
        "en": "One Python file, needing only torch and torchvision, that retrains this network with the same "
        "settings and seed on MNIST.",
        "zh": "一个 Python 文件，只需要 torch 和 torchvision，用同样的设置和随机种子在 MNIST 上重新训练这个网络。",
    },
    # --- messages for lenet.conv.arithmetic.LayerError codes ---------------------------------------
    "error.kernel_too_big": {
        "en": "the window ({span} pixels) is larger than the padded input ({padded} pixels), so it fits nowhere.",
        "zh": "窗口（{span} 个像素）比填充后的输入（{padded} 个像素）还大，哪里都放不下。",
    },
    "error.same_stride": {
        "en": "padding “same” needs stride 1. With stride {stride} the output is smaller than "
        "the input anyway, so PyTorch refuses it; use a number for the padding.",
        "zh": "“same” 填充要求步幅为 1。步幅为 {stride} 时输出本来就比输入小，"
        "所以 PyTorch 不接受；请把填充改成一个数字。",
    },
    "error.same_pool": {
        "en": "pooling layers take a number for padding, not “same”.",
        "zh": "池化层的填充必须是数字，不能用 “same”。",
    },
    "error.pool_padding": {
        "en": "pooling padding {padding} is more than half the window ({kernel} ÷ 2 → {limit}). "
        "PyTorch refuses it, because a window could then hold only padding.",
        "zh": "池化的填充 {padding} 超过了窗口的一半（{kernel} ÷ 2 → {limit}）。"
        "PyTorch 不接受，因为那样某个窗口里可能只有填充。",
    },
    "error.avgpool_dilation": {
        "en": "average pooling has no dilation in PyTorch; set dilation to 1.",
        "zh": "PyTorch 的平均池化没有膨胀参数，请把膨胀设为 1。",
    },
    "error.negative_padding": {
        "en": "padding must be 0 or more, not {value}.",
        "zh": "填充必须大于等于 0，不能是 {value}。",
    },
    "error.not_positive": {"en": "{name} must be at least 1, not {value}.", "zh": "{name}至少要是 1，不能是 {value}。"},
    "error.not_integer": {
        "en": "{name} must be a whole number, not {value}.",
        "zh": "{name}必须是整数，不能是 {value}。",
    },
    "error.bad_padding": {
        "en": "padding must be a number, “same” or “valid”, not {value}.",
        "zh": "填充必须是数字、“same” 或 “valid”，不能是 {value}。",
    },
    "error.bad_op": {
        "en": "the layer must be conv, maxpool, avgpool or convtranspose, not {value}.",
        "zh": "层的类型必须是 conv、maxpool、avgpool 或 convtranspose，不能是 {value}。",
    },
    "error.transpose_padding_word": {
        "en": "a transposed convolution takes a number for padding, not “{value}”: PyTorch has no "
        "“same” or “valid” for it.",
        "zh": "转置卷积的填充必须是数字，不能是 “{value}”：PyTorch 的转置卷积没有 “same” 或 “valid”。",
    },
    "error.negative_output_padding": {
        "en": "output padding must be 0 or more, not {value}.",
        "zh": "输出填充必须大于等于 0，不能是 {value}。",
    },
    "error.output_padding_too_big": {
        "en": "output padding {value} must be smaller than the stride ({stride}) or the dilation ({dilation}). "
        "It only chooses between the sizes one convolution maps to the same output, and there are no more "
        "of those than the stride.",
        "zh": "输出填充 {value} 必须小于步幅（{stride}）或膨胀（{dilation}）。它只是在“同一个卷积会变成同样大小”"
        "的几个尺寸之间做选择，而这样的尺寸最多只有步幅那么多个。",
    },
    "error.transpose_too_small": {
        "en": "the padding {padding} crops more than the output has: before cropping it is {full} pixels, "
        "after cropping 2×{padding} it would be {out}.",
        "zh": "填充 {padding} 裁掉的比输出本身还多：裁剪前有 {full} 个像素，裁掉 2×{padding} 后只剩 {out}。",
    },
    "error.output_padding_op": {
        "en": "output padding ({value}) belongs to transposed convolutions only; set it to 0 or pick "
        "“Transposed convolution”.",
        "zh": "输出填充（{value}）只属于转置卷积；请把它设为 0，或选择“转置卷积”。",
    },
    "error.bad_size": {
        "en": "the input size must look like 28 or 28x32, not {value}.",
        "zh": "输入尺寸应该写成 28 或 28x32 的样子，不能是 {value}。",
    },
    "error.missing_option": {"en": "--{name} is required.", "zh": "缺少必需的参数 --{name}。"},
    "error.unreachable": {"en": "unreachable: an earlier layer fails.", "zh": "无法到达：前面的层出错了。"},
}
