"""UI strings of the Compare page (pages/compare.py, lenet/figures/compare.py) and the Train page's run comparison."""

STRINGS: dict[str, dict[str, str]] = {
    "nav.compare": {"en": "Compare", "zh": "对比"},
    "compare.title": {"en": "Two models, one drawing", "zh": "两个模型，同一个数字"},
    "compare.intro": {
        "en": "Pick two models: the shipped LeNet-5, a run you trained or a model you imported. Draw a digit once, "
        "and both read it. Below, their layers face each other: where two layers give the same shape, the "
        "difference shows cell by cell where they disagree.",
        "zh": "选两个模型：自带的 LeNet-5、你训练的模型或你导入的模型。写一次数字，两个模型都来读。"
        "下面是它们逐层的对照：两层输出形状相同时，差值图逐格显示它们哪里不一样。",
    },
    "compare.model_a": {"en": "Model A", "zh": "模型 A"},
    "compare.model_b": {"en": "Model B", "zh": "模型 B"},
    "compare.same_model": {
        "en": "Both pickers name the same model: every difference below is zero. Pick another model for B.",
        "zh": "两个选择框选的是同一个模型：下面的差值全是零。请为 B 换一个模型。",
    },
    "compare.load_failed": {"en": "{model} cannot be read: {reason}", "zh": "无法读取{model}：{reason}"},
    "compare.unreadable": {
        "en": "the file is damaged or is not a model this app can read.",
        "zh": "文件已损坏，或者不是本应用能读取的模型。",
    },
    "compare.strides": {
        "en": "The tutorial's point about strides: {pooled} shrinks its maps by pooling (a fixed rule: the largest "
        "or the average value of each window), {strided} with convolutions of stride 2, whose weights are "
        'learned. "Nowadays pooling is mostly replaced by strides" (Springenberg et al., 2015, "Striving for '
        'Simplicity: The All Convolutional Net"). Compare the rows where one pools and the other strides.',
        "zh": "教程中关于步幅的要点：{pooled} 用池化缩小特征图（固定的规则：取每个窗口的最大值或平均值），"
        "{strided} 用步幅为 2 的卷积缩小，它的权重是学出来的。“如今池化大多被步幅取代”"
        "（Springenberg 等，2015，《Striving for Simplicity: The All Convolutional Net》）。"
        "看看一个池化、另一个用步幅的那几行。",
    },
    "compare.canvas.title": {"en": "Your digit", "zh": "你的数字"},
    "compare.canvas.help": {
        "en": "Draw one digit: both models read the same drawing.",
        "zh": "写一个数字：两个模型读的是同一幅图。",
    },
    "compare.clear": {"en": "Clear", "zh": "清除"},
    "compare.answer.title": {"en": "Their answers", "zh": "它们的答案"},
    "compare.answer.reads": {"en": "reads {digit} ({pct} sure)", "zh": "认为是 {digit}（把握 {pct}）"},
    "compare.answer.nothing": {
        "en": "Nothing to read yet: draw a digit.",
        "zh": "还没有可读的内容：请写一个数字。",
    },
    "compare.answer.agree": {"en": "Both read {digit}.", "zh": "两个模型都认为是 {digit}。"},
    "compare.answer.disagree": {
        "en": "They disagree: {a} reads {da}, {b} reads {db}.",
        "zh": "它们的答案不同：{a} 认为是 {da}，{b} 认为是 {db}。",
    },
    "compare.layers.title": {"en": "Layer by layer", "zh": "逐层对照"},
    "compare.layers.intro": {
        "en": "Each row is one block of each model (A left, B middle). Blocks with the same name face each other; "
        "the others are paired in order. The difference (A minus B: orange where A is higher, purple where B "
        "is) is shown only where both shapes are equal. Two networks trained apart need not order their "
        "channels alike, so read it as where they disagree, not as a match of filters.",
        "zh": "每一行是两个模型各自的一个层块（左 A，中 B）。同名的层块相互对照，其余的按顺序配对。"
        "只有两边形状相同时才显示差值（A 减 B：橙色表示 A 更高，紫色表示 B 更高）。"
        "分开训练的两个网络，通道的顺序不一定对应，所以差值表示它们哪里不同，而不是滤波器一一对应。",
    },
    "compare.layers.nothing": {
        "en": "Draw a digit to see both models' layers.",
        "zh": "写一个数字，就能看到两个模型的各层。",
    },
    "compare.diff": {"en": "A − B", "zh": "A − B"},
    "compare.diff.mean": {"en": "Mean |A − B|: {value}", "zh": "平均 |A − B|：{value}"},
    "compare.how.conv": {
        "en": "a {k}×{k} convolution{stride} turns {before} into {after}",
        "zh": "一个 {k}×{k} 卷积{stride}把 {before} 变成 {after}",
    },
    "compare.how.maxpool": {
        "en": "max pooling over {k}×{k} windows{stride} turns {before} into {after}",
        "zh": "{k}×{k} 窗口的最大池化{stride}把 {before} 变成 {after}",
    },
    "compare.how.avgpool": {
        "en": "average pooling over {k}×{k} windows{stride} turns {before} into {after}",
        "zh": "{k}×{k} 窗口的平均池化{stride}把 {before} 变成 {after}",
    },
    "compare.how.stride": {"en": " with stride {s}", "zh": "（步幅 {s}）"},
    "compare.how.fc": {
        "en": "a fully connected layer turns {n} values into {m}",
        "zh": "一个全连接层把 {n} 个数变成 {m} 个",
    },
    "compare.how.other": {"en": "{layers} keeps {before} as {after}", "zh": "{layers} 保持 {before} 为 {after}"},
    "compare.then": {"en": "{first} {then}", "zh": "{first}{then}"},  # two sentences, one after the other
    "compare.row.only": {
        "en": "Only {model} has a block here: {how}.",
        "zh": "只有 {model} 在这里有一个层块：{how}。",
    },
    "compare.row.both": {"en": "In {a}, {how_a}; in {b}, {how_b}.", "zh": "在 {a} 中，{how_a}；在 {b} 中，{how_b}。"},
    "compare.row.strides": {
        "en": "{pooled} pools with a fixed rule; {strided}'s strided convolution does the same shrinking with "
        "learned weights.",
        "zh": "{pooled} 用固定的规则池化；{strided} 的带步幅卷积用学到的权重完成同样的缩小。",
    },
    "compare.row.same": {
        "en": "Both give {shape}, so they are compared cell by cell.",
        "zh": "两者都输出 {shape}，所以逐格比较。",
    },
    "compare.row.differ": {
        "en": "The shapes differ ({why}), so there is no cell-by-cell difference.",
        "zh": "形状不同（{why}），所以没有逐格的差值。",
    },
    "compare.why.kind": {
        "en": "{a} against {b}: maps on one side, a list of values on the other",
        "zh": "{a} 对 {b}：一边是特征图，另一边是一列数",
    },
    "compare.why.size": {
        "en": "maps of {a} against {b}: kernels, padding and strides shrink them differently",
        "zh": "特征图大小 {a} 对 {b}：卷积核、填充和步幅让它们缩小得不一样",
    },
    "compare.why.count": {"en": "{a} channels or values against {b}", "zh": "{a} 个通道或数对 {b} 个"},
    # The Train page: finished runs' learning curves side by side
    "train.compare_runs": {"en": "Runs to compare", "zh": "要对比的训练"},
    "train.compare_runs_help": {
        "en": "Up to {n} finished runs, this session's or saved earlier: their learning curves on one chart each.",
        "zh": "最多 {n} 个已完成的训练（本次或之前保存的）：它们的学习曲线画在同一张图上。",
    },
    "train.compare_none": {
        "en": "Pick finished runs above to see their curves together.",
        "zh": "在上面选择已完成的训练，就能把它们的曲线放在一起看。",
    },
}
