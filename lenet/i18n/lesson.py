"""UI strings of the Lesson page (/lesson), and the messages for a broken lesson file (error.lesson_*).

The lesson's own texts (steps, questions, explanations) are not here: they are data, in lenet/lessons/. The words
it explains are in the shared glossary (glossary.py).
"""

_WHERE = {
    "en": "The lesson file {file} cannot be used: step {step}, field “{field}”: ",
    "zh": "课程文件 {file} 无法使用：第 {step} 步，字段“{field}”：",
}


def _error(en: str, zh: str) -> dict[str, str]:
    return {"en": _WHERE["en"] + en, "zh": _WHERE["zh"] + zh}


STRINGS: dict[str, dict[str, str]] = {
    "nav.lesson": {"en": "Lesson", "zh": "课程"},
    "lesson.progress": {"en": "Step {n} of {total}", "zh": "第 {n} 步，共 {total} 步"},
    "lesson.prev": {"en": "Back", "zh": "上一步"},
    "lesson.next": {"en": "Next", "zh": "下一步"},
    "lesson.words": {"en": "Words in this step", "zh": "这一步里的词"},
    "lesson.predict": {"en": "Predict first:", "zh": "先预测："},
    "lesson.choose": {"en": "Your answer", "zh": "你的答案"},
    "lesson.type": {
        "en": "Your answer: a size such as 12x12, or “doesn't fit”",
        "zh": "你的答案：像 12x12 这样的尺寸，或者“放不下”",
    },
    "lesson.check": {"en": "Check", "zh": "核对"},
    "lesson.unreadable_choice": {"en": "Pick an answer first.", "zh": "请先选一个答案。"},
    "lesson.unreadable_size": {
        "en": "I can't read that as a size: type 12x12, 12, or “doesn't fit”.",
        "zh": "看不懂这个尺寸：请输入 12x12、12，或者“放不下”。",
    },
    "lesson.right": {"en": "Right!", "zh": "答对了！"},
    "lesson.wrong": {
        "en": "Not quite: you said {given}; the answer is {answer}.",
        "zh": "不太对：你的答案是 {given}；正确答案是 {answer}。",
    },
    "lesson.no_fit": {"en": "doesn't fit", "zh": "放不下"},
    "lesson.explore": {"en": "Explore this further: {page}", "zh": "进一步探索：{page}"},
    "lesson.digit.own": {"en": "Your digit, from step 1.", "zh": "你在第 1 步写的数字。"},
    "lesson.digit.sample": {
        "en": "A 7 from MNIST: draw your own on step 1 and it is used here instead.",
        "zh": "MNIST 里的一个 7：在第 1 步写一个你自己的数字，这里就会换成它。",
    },
    "lesson.learn.title": {"en": "Watch it learn your digit", "zh": "看它学会认你的数字"},
    "lesson.learn.text": {
        "en": "Draw on this square, then move the slider under it: the network reads your drawing with its weights "
        "from each moment of its training, from the random start to the end.",
        "zh": "在这个方框里写一个数字，再拖动下面的滑块："
        "网络会用训练过程中每个时刻的权重来读你的数字，从随机的开始一直到结束。",
    },
    "lesson.learn.none": {
        "en": "Train the network on the training step first: its run keeps snapshots, and you can watch it learn here.",
        "zh": "先在训练那一步训练网络：训练会保存快照，然后你就可以在这里看它学习。",
    },
    "lesson.draw.clear": {"en": "Clear", "zh": "清除"},
    "lesson.draw.blank": {
        "en": "Draw a digit from 0 to 9 on the black square, large, with the mouse or a finger.",
        "zh": "用鼠标或手指在黑色方框里写一个 0 到 9 的数字，写大一点。",
    },
    "lesson.draw.reads": {"en": "The network reads {digit}, {p} sure.", "zh": "网络认为是 {digit}，把握 {p}。"},
    "lesson.arch.layer": {"en": "layer", "zh": "层"},
    "lesson.arch.kind": {"en": "kind", "zh": "类型"},
    "lesson.arch.kind.input": {"en": "input", "zh": "输入"},
    "lesson.arch.kind.conv": {"en": "convolution", "zh": "卷积"},
    "lesson.arch.kind.pool": {"en": "pooling", "zh": "池化"},
    "lesson.arch.kind.fc": {"en": "fully connected", "zh": "全连接"},
    "lesson.arch.shape": {"en": "output (channels × height × width)", "zh": "输出（通道 × 高 × 宽）"},
    "lesson.arch.weights": {"en": "weights", "zh": "权重"},
    "lesson.arch.part": {"en": "part", "zh": "部分"},
    "lesson.arch.features": {"en": "feature extractor", "zh": "特征提取器"},
    "lesson.arch.classifier": {"en": "classifier", "zh": "分类器"},
    "lesson.filter.pick": {"en": "Filter", "zh": "滤波器"},
    "lesson.filter.sepia": {"en": "sepia", "zh": "怀旧（棕褐色）"},
    "lesson.filter.edge": {"en": "edges", "zh": "边缘"},
    "lesson.filter.blur": {"en": "blur", "zh": "模糊"},
    "lesson.filter.sharpen": {"en": "sharpen", "zh": "锐化"},
    "lesson.filter.before": {"en": "The photo", "zh": "原照片"},
    "lesson.filter.after": {"en": "Filtered: {w} × {h} px", "zh": "滤波后：{w} × {h} 像素"},
    "lesson.filter.numbers": {"en": "The filter's 3×3 numbers", "zh": "滤波器的 3×3 个数字"},
    "lesson.filter.mix": {
        "en": "Sepia's numbers mix one pixel's red, green and blue: each row makes the new red, green or blue. "
        "3 channels in, 3 out; the size stays {w} × {h}.",
        "zh": "怀旧滤镜的数字混合同一个像素的红、绿、蓝：每一行算出新的红、绿或蓝。输入 3 个通道，输出 3 个；"
        "尺寸仍是 {w} × {h}。",
    },
    "lesson.filter.slide": {
        "en": "These numbers slide over every pixel and its 8 neighbours: multiply, add up, move on. The window must "
        "stay inside the photo, so {w} × {h} becomes {ow} × {oh}.",
        "zh": "这些数字在每个像素和它的 8 个邻居上滑动：相乘、相加、再移动。窗口必须待在照片里面，"
        "所以 {w} × {h} 变成了 {ow} × {oh}。",
    },
    "lesson.hp.kernel": {"en": "Filter size", "zh": "滤波器尺寸"},
    "lesson.hp.depth": {"en": "Depth (filters)", "zh": "深度（滤波器个数）"},
    "lesson.hp.stride": {"en": "Stride", "zh": "步幅"},
    "lesson.hp.padding": {"en": "Padding", "zh": "填充"},
    "lesson.hp.result": {
        "en": "On a 28×28 digit: **{c} × {h} × {w}** comes out ({c} maps of {h}×{w}), from {params} weights.",
        "zh": "对 28×28 的数字：输出 **{c} × {h} × {w}**（{c} 张 {h}×{w} 的图），共 {params} 个权重。",
    },
    "lesson.fit.input": {"en": "Input width W", "zh": "输入宽度 W"},
    "lesson.fit.kernel": {"en": "Filter size K", "zh": "滤波器尺寸 K"},
    "lesson.fit.stride": {"en": "Stride S", "zh": "步幅 S"},
    "lesson.fit.too_big": {
        "en": "A {k}-wide filter does not fit in {w} pixels at all.",
        "zh": "宽 {k} 的滤波器根本放不进 {w} 个像素。",
    },
    "lesson.fit.fits": {
        "en": "(W − K) / S = ({w} − {k}) / {s} = **{v}**, a whole number: the stride fits, {out} positions across.",
        "zh": "(W − K) / S = ({w} − {k}) / {s} = **{v}**，是整数：步幅合适，横向 {out} 个位置。",
    },
    "lesson.fit.not": {
        "en": "(W − K) / S = ({w} − {k}) / {s} = **{v}**, not whole: the stride does not fit. PyTorch rounds down to "
        "{out} positions, and {n} column(s) at the end are never seen.",
        "zh": "(W − K) / S = ({w} − {k}) / {s} = **{v}**，不是整数：步幅不合适。PyTorch 向下取整，只有 {out} 个位置，"
        "最后 {n} 列永远看不到。",
    },
    "lesson.formula.result": {"en": "Output: **{h} × {w}**", "zh": "输出：**{h} × {w}**"},
    "lesson.pad.input": {"en": "Your digit, 28 × 28", "zh": "你的数字，28 × 28"},
    "lesson.pad.same": {
        "en": "“same”: {k}×{k} filter with zeros around: {h} × {w}",
        "zh": "“same”：{k}×{k} 滤波器，四周补 0：{h} × {w}",
    },
    "lesson.pad.valid": {
        "en": "“valid”: {k}×{k} filter, no zeros: {h} × {w}",
        "zh": "“valid”：{k}×{k} 滤波器，不补 0：{h} × {w}",
    },
    "lesson.pool.map": {"en": "A feature map (edges): {h} × {w}", "zh": "一张特征图（边缘）：{h} × {w}"},
    "lesson.pool.max": {"en": "Max pooling 2×2: {h} × {w}", "zh": "2×2 最大池化：{h} × {w}"},
    "lesson.pool.avg": {"en": "Average pooling 2×2: {h} × {w}", "zh": "2×2 平均池化：{h} × {w}"},
    "lesson.pool.patch": {
        "en": "4×4 numbers from the map (row {r}, column {c}); max pooling's winners outlined",
        "zh": "特征图里的 4×4 个数（第 {r} 行，第 {c} 列起）；最大池化选中的数加了框",
    },
    "lesson.pool.max_numbers": {"en": "After max pooling", "zh": "最大池化之后"},
    "lesson.pool.avg_numbers": {"en": "After average pooling", "zh": "平均池化之后"},
    "lesson.net.logits": {"en": "Logits: the last layer's raw scores", "zh": "logit：最后一层的原始分数"},
    "lesson.net.probs": {"en": "After softmax: probabilities", "zh": "softmax 之后：概率"},
    "lesson.net.caption": {
        "en": "The biggest logit ({top}) belongs to {digit}; softmax turns it into {p}.",
        "zh": "最大的 logit（{top}）属于 {digit}；softmax 把它变成 {p}。",
    },
    "lesson.code.download": {"en": "Download lenet_network.py", "zh": "下载 lenet_network.py"},
    "lesson.train.shipped": {
        "en": "The shipped LeNet-5 on the 10,000 test digits",
        "zh": "自带的 LeNet-5 在 10,000 个测试数字上的准确率",
    },
    "lesson.train.no_data": {
        "en": "Training needs the MNIST digits, which this server does not have yet: the Train page can download them.",
        "zh": "训练需要 MNIST 数字，这台服务器上还没有：可以在“训练”页面下载。",
    },
    "lesson.train.start": {"en": "Train a LeNet-5 for one epoch", "zh": "训练一个 LeNet-5（一轮）"},
    "lesson.train.status": {
        "en": "**{state}**: step {step} of {total}; test accuracy {acc}",
        "zh": "**{state}**：第 {step} / {total} 步；测试准确率 {acc}",
    },
    "lesson.score": {"en": "Right at the first try", "zh": "第一次就答对"},
    "lesson.score.caption": {
        "en": "{answered} of {total} questions answered.",
        "zh": "已回答 {answered} / {total} 题。",
    },
    "lesson.score.line": {
        "en": "Score: {right} of {total} right at the first try",
        "zh": "得分：第一次答对 {right} / {total} 题",
    },
    "lesson.summary.download": {"en": "Download my summary (one page, to print)", "zh": "下载我的小结（一页，可打印）"},
    "lesson.summary.title": {"en": "My summary", "zh": "我的小结"},
    "lesson.summary.formulas": {"en": "Formulas", "zh": "公式"},
    "lesson.summary.answers": {"en": "My answers", "zh": "我的答案"},
    "lesson.summary.digit": {"en": "My digit", "zh": "我写的数字"},
    "lesson.summary.step": {"en": "Step", "zh": "步骤"},
    "lesson.summary.yours": {"en": "My answer", "zh": "我的答案"},
    "lesson.summary.right": {"en": "Right answer", "zh": "正确答案"},
    "lesson.formula.size": {
        "en": "Output size = ⌊(W − K + 2P) / S⌋ + 1 (W input, K filter size, P padding, S stride)",
        "zh": "输出尺寸 = ⌊(W − K + 2P) / S⌋ + 1（W 输入，K 滤波器尺寸，P 填充，S 步幅）",
    },
    "lesson.formula.fits": {
        "en": "The stride fits when (W − K + 2P) / S is a whole number",
        "zh": "当 (W − K + 2P) / S 是整数时，步幅合适",
    },
    "lesson.formula.params": {
        "en": "Weights of a conv layer = filters × (K × K × input channels + 1)",
        "zh": "卷积层的权重个数 = 滤波器个数 × (K × K × 输入通道数 + 1)",
    },
    "lesson.formula.relu": {"en": "ReLU(x) = max(0, x)", "zh": "ReLU(x) = max(0, x)"},
    "lesson.formula.softmax": {
        "en": "softmax: pᵢ = e^zᵢ / (e^z₀ + … + e^z₉), the ten p add up to 1",
        "zh": "softmax：pᵢ = e^zᵢ / (e^z₀ + … + e^z₉)，十个 p 加起来等于 1",
    },
    "error.lesson_missing": _error("it is missing.", "缺少这一项。"),
    "error.lesson_bad_type": _error("it must be {detail}.", "它必须是{detail}。"),
    "error.lesson_bad_value": _error("use {detail}.", "请使用 {detail}。"),
    "error.lesson_unknown_field": _error(
        "there is no such field (fields: {detail}).", "没有这个字段（可用字段：{detail}）。"
    ),
    "error.lesson_unknown_live": _error(
        "no such live part: use one of {detail}.", "没有这个实时部件：请使用 {detail} 之一。"
    ),
    "error.lesson_unknown_term": _error(
        "no such word in the glossary: use one of {detail}.", "词汇表里没有这个词：请使用 {detail} 之一。"
    ),
    "error.lesson_bad_answer": _error("the answer must be {detail}.", "答案必须是 {detail}。"),
    "error.lesson_wrong_answer": _error(
        "the layers given make {detail}, not this answer.", "给出的层得到的是 {detail}，不是这个答案。"
    ),
    "error.lesson_syntax": {
        "en": "The lesson file {file} is not valid TOML: {detail}",
        "zh": "课程文件 {file} 不是有效的 TOML：{detail}",
    },
    "error.lesson_unreadable": {
        "en": "The lesson file {file} cannot be read: {detail}",
        "zh": "无法读取课程文件 {file}：{detail}",
    },
}
