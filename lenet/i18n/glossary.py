"""The glossary: every word the app explains, defined once, in English and 简体中文.

The Train page lists its words from here, and each step of the lesson (lenet/lessons/) names the words it uses;
neither keeps a copy of a definition. A term is `glossary.<term>.word` (how it is written) and `glossary.<term>`
(what it means) in the merged strings, so `t()` reads them like any other string.
"""

from __future__ import annotations

# term -> (word, definition), each {"en": ..., "zh": ...}; written for a 15-year-old
TERMS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "epoch": (
        {"en": "Epoch", "zh": "轮（epoch）"},
        {
            "en": "one pass over all 60,000 training digits. More epochs = more practice, but it takes longer, and "
            "after a while the network stops improving.",
            "zh": "把全部 60,000 个训练数字完整看一遍。轮数越多，练习越多，但耗时更长，而且过一阵子网络就不再进步了。",
        },
    ),
    "batch": (
        {"en": "Batch", "zh": "批（batch）"},
        {
            "en": "how many digits the network looks at before it adjusts its weights once. Small batches mean many "
            "small, noisy steps; big batches mean fewer, steadier steps.",
            "zh": "网络每看多少个数字才调整一次权重。批小：步子多、小而抖动；批大：步子少而稳。",
        },
    ),
    "learning_rate": (
        {"en": "Learning rate", "zh": "学习率"},
        {
            "en": "how big each adjustment is. Too small and learning crawls; too big and the network overshoots, "
            "the loss explodes and the run fails.",
            "zh": "每次调整的幅度。太小学得很慢；太大会冲过头，损失爆炸，训练失败。",
        },
    ),
    "loss": (
        {"en": "Loss", "zh": "损失（loss）"},
        {
            "en": "a score for how wrong the network is on the batch it just saw (0 would be perfect). It goes down "
            "because every step changes the weights in the direction that lowers it.",
            "zh": "衡量网络在刚看过的这一批上错得有多厉害（0 表示完美）。"
            "它会下降，因为每一步都朝着让它变小的方向调整权重。",
        },
    ),
    "test_accuracy": (
        {"en": "Test accuracy", "zh": "测试准确率"},
        {
            "en": "the share of 10,000 *other* digits, never used for training, that it reads correctly. This shows "
            "whether it really learned, rather than memorised.",
            "zh": "在另外 10,000 个从未用于训练的数字上认对的比例。它说明网络是真的学会了，而不是死记硬背。",
        },
    ),
    "optimizer": (
        {"en": "Optimizer", "zh": "优化器"},
        {
            "en": "the rule for adjusting the weights. SGD with momentum is the classic; Adam gives every weight its "
            "own step size and is usually faster to get going.",
            "zh": "调整权重的规则。带动量的 SGD 是经典做法；Adam 给每个权重各自的步长，通常起步更快。",
        },
    ),
    "augmentation": (
        {"en": "Augmentation", "zh": "数据增强"},
        {
            "en": "slightly rotated, stretched, thicker or thinner copies of the digits, so the network also reads "
            "digits drawn with a mouse. It learns a bit slower.",
            "zh": "把数字稍微旋转、拉伸、加粗或变细后再给网络看，让它也能认出用鼠标写的数字。代价是学得稍慢一些。",
        },
    ),
    "label_smoothing": (
        {"en": "Label smoothing", "zh": "标签平滑"},
        {
            "en": "the network is taught to give the right answer 91 % rather than 100 %, and 1 % to each other "
            "digit. It learns faster and is less overconfident, so a network trained here usually says 90–95 % sure "
            "of a clear digit, where the shipped one (trained without it) says 100 %.",
            "zh": "教网络对正确答案给出 91% 而不是 100%，其余每个数字各 1%。这样学得更快，也不那么过度自信，"
            "所以在这里训练的网络对清楚的数字通常只说 90–95% 的把握，而自带的网络（训练时没用它）会说 100%。",
        },
    ),
    "weight": (
        {"en": "Weight", "zh": "权重（weight）"},
        {
            "en": "a number inside the network that multiplies an input. Training changes the weights; they are what "
            "the network has learned.",
            "zh": "网络里用来乘输入的一个数。训练就是改变权重；网络学到的东西就存在权重里。",
        },
    ),
    "kernel": (
        {"en": "Kernel (filter)", "zh": "卷积核（滤波器）"},
        {
            "en": "a small grid of numbers, such as 3×3 or 5×5, that slides over a picture. At each place it "
            "multiplies the pixels under it by its numbers and adds them up. Its size is the filter size.",
            "zh": "一小格数字，比如 3×3 或 5×5，在图片上滑动。每到一个位置，就把下面的像素和它的数字相乘再相加。"
            "它的边长就是滤波器尺寸。",
        },
    ),
    "stride": (
        {"en": "Stride", "zh": "步幅（stride）"},
        {
            "en": "how many pixels the filter jumps each time it moves. Stride 1 visits every position; stride 2 "
            "skips every other one, so the output is about half as big.",
            "zh": "滤波器每次移动跳过多少个像素。步幅 1 会走遍每个位置；步幅 2 隔一个走一个，所以输出大约只有一半大。",
        },
    ),
    "padding": (
        {"en": "Padding", "zh": "填充（padding）"},
        {
            "en": "a border of zeros added around the picture before the filter slides, so the filter can also sit "
            "on the edge pixels. “same” adds just enough to keep the size; “valid” adds none.",
            "zh": "在滤波器滑动之前，给图片四周加一圈 0，让滤波器也能停在边上的像素上。"
            "“same” 加到刚好保持尺寸不变；“valid” 一点也不加。",
        },
    ),
    "channel": (
        {"en": "Channel", "zh": "通道（channel）"},
        {
            "en": "one layer of a picture or of a feature map. A colour photo has 3 (red, green, blue); a grey digit "
            "has 1; a conv layer with 6 filters makes 6. The number of filters is the layer's depth.",
            "zh": "图片或特征图的一层。彩色照片有 3 个（红、绿、蓝）；灰度数字有 1 个；"
            "有 6 个滤波器的卷积层输出 6 个。滤波器的个数就是这一层的深度。",
        },
    ),
    "feature_map": (
        {"en": "Feature map", "zh": "特征图"},
        {
            "en": "the picture a filter makes: bright where the filter found its pattern (an edge, a curve), dark "
            "elsewhere.",
            "zh": "一个滤波器输出的图：找到它要找的图案（边缘、弯线）的地方亮，其他地方暗。",
        },
    ),
    "pooling": (
        {"en": "Pooling", "zh": "池化（pooling）"},
        {
            "en": "shrinking a map by keeping one number per small window: the largest (max pooling) or the average "
            "(average pooling).",
            "zh": "把特征图缩小：每个小窗口只保留一个数，最大的（最大池化）或平均值（平均池化）。",
        },
    ),
    "relu": (
        {"en": "ReLU", "zh": "ReLU"},
        {
            "en": "the activation most networks use: a negative number becomes 0, a positive one stays as it is.",
            "zh": "大多数网络用的激活函数：负数变成 0，正数保持不变。",
        },
    ),
    "fully_connected": (
        {"en": "Fully connected layer", "zh": "全连接层"},
        {
            "en": "a layer in which every output is a weighted sum of every input. LeNet's last three layers are "
            "fully connected: they turn the features into an answer.",
            "zh": "每个输出都是所有输入的加权和的层。LeNet 的最后三层是全连接层：它们把特征变成答案。",
        },
    ),
    "logit": (
        {"en": "Logit", "zh": "logit（原始分数）"},
        {
            "en": "the raw score the last layer gives each digit, before softmax. It can be any number, negative "
            "too; the biggest one wins.",
            "zh": "最后一层在 softmax 之前给每个数字打的原始分数。它可以是任何数，也可以是负数；最大的那个获胜。",
        },
    ),
    "softmax": (
        {"en": "Softmax", "zh": "softmax"},
        {
            "en": "turns the ten logits into ten probabilities that add up to 100 %: each score is raised as a power "
            "of e, then divided by the sum of all of them. A bigger logit gives a bigger share.",
            "zh": "把十个 logit 变成加起来等于 100% 的十个概率：先对每个分数取 e 的幂，再除以它们的总和。"
            "logit 越大，分到的份额越大。",
        },
    ),
    "hyperparameter": (
        {"en": "Hyperparameter", "zh": "超参数"},
        {
            "en": "a setting a person chooses before training (the filter size, the stride, the learning rate), as "
            "opposed to the weights, which the network learns.",
            "zh": "训练之前由人选定的设置（滤波器尺寸、步幅、学习率），不同于网络自己学出来的权重。",
        },
    ),
}

STRINGS: dict[str, dict[str, str]] = {
    **{f"glossary.{term}.word": word for term, (word, _) in TERMS.items()},
    **{f"glossary.{term}": text for term, (_, text) in TERMS.items()},
}


def glossary_markdown(terms, lang: str) -> str:
    """A markdown list "- **word**: definition" of `terms` (keys of TERMS), in `lang`."""
    lines = []
    for term in terms:
        word, text = TERMS[term]
        lines.append(f"- **{word.get(lang) or word['en']}**: {text.get(lang) or text['en']}")
    return "\n".join(lines)
