"""UI strings of the Draw page's tracing: pick any number of any layer and see how it was computed."""

STRINGS: dict[str, dict[str, str]] = {
    "trace.title": {"en": "Trace a number back to your drawing", "zh": "把一个数字追溯到你的手写"},
    "trace.intro": {
        "en": "Pick a layer, then click or tap any square of its picture: each square is one number the network "
        "computed. Below you see exactly how, with the real numbers, and which part of your drawing it looks at.",
        "zh": "选一层，然后点一下它图片里的任意一个小方块：每个小方块都是网络算出来的一个数。"
        "下面会用真实的数字告诉你它是怎么算出来的，以及它看的是你手写的哪一部分。",
    },
    "trace.layer": {
        "en": "Pick a layer to trace one of its numbers (pick it again to stop)",
        "zh": "选一层，追溯它的一个数字（再点一次就停止）",
    },
    "trace.tools": {"en": "More ways to pick and watch", "zh": "更多选择和观看的方式"},
    "trace.pick_help": {
        "en": "Brighter squares are bigger numbers. Click one to trace it; it stays picked while you keep drawing.",
        "zh": "越亮的方块数字越大。点一个来追溯它；你继续写的时候它会一直保持选中。",
    },
    "trace.keys.title": {"en": "Pick with the keyboard", "zh": "用键盘来选"},
    "trace.keys.channel": {"en": "Map (0 to {top})", "zh": "第几张图（0 到 {top}）"},
    "trace.keys.unit": {"en": "Unit (0 to {top})", "zh": "第几个单元（0 到 {top}）"},
    "trace.keys.row": {"en": "Row (0 to {top})", "zh": "第几行（0 到 {top}）"},
    "trace.keys.col": {"en": "Column (0 to {top})", "zh": "第几列（0 到 {top}）"},
    "trace.keys.go": {"en": "Trace this number", "zh": "追溯这个数字"},
    "trace.blank": {
        "en": "Draw a digit: the square you picked is explained here, number by number.",
        "zh": "写一个数字：你选中的方块会在这里一个数一个数地解释。",
    },
    "trace.none": {
        "en": "Nothing picked yet: click a square in the picture above.",
        "zh": "还没有选中：请点上面图片里的一个方块。",
    },
    "trace.cell.map": {
        "en": "{layer}, map {channel}, row {row}, column {col}",
        "zh": "{layer}，第 {channel} 张图，第 {row} 行，第 {col} 列",
    },
    "trace.cell.unit": {"en": "{layer}, unit {channel}", "zh": "{layer}，第 {channel} 个单元"},
    "trace.cell.output": {"en": "the output for digit {channel}", "zh": "数字 {channel} 的输出"},
    "trace.heading": {"en": "You picked {cell}", "zh": "你选中了：{cell}"},
    "trace.value": {"en": "Its value: {value}", "zh": "它的值：{value}"},
    "trace.prob": {
        "en": "Probability of digit {digit}: {prob} ({pct})",
        "zh": "数字 {digit} 的概率：{prob}（{pct}）",
    },
    # Where it looks
    "trace.where.title": {"en": "Where it looks", "zh": "它看的是哪里"},
    "trace.where.text": {
        "en": "The orange box marks the part of each layer this number depends on. Nothing outside the box can "
        "change it: draw outside it and this number stays the same.",
        "zh": "橙色方框标出了这个数字在每一层所依赖的部分。方框外面的东西都改变不了它："
        "在方框外面写字，这个数字不会变。",
    },
    "trace.where.all": {
        "en": "It is connected to every number of the layer before it, so it depends on your whole drawing.",
        "zh": "它和前一层的每个数都连着，所以它取决于你的整个手写。",
    },
    "trace.player.show": {"en": "Show the sliding window", "zh": "显示滑动的窗口"},
    "trace.player.maps_only": {
        "en": "The window slides only where a convolution or a pooling layer makes a map: pick a square in one of "
        "their maps to watch it.",
        "zh": "窗口只在卷积层或池化层生成特征图的地方滑动：在它们的图里点一个方块就能看到。",
    },
    "trace.where.input": {"en": "your digit (28 × 28)", "zh": "你的数字（28 × 28）"},
    "trace.where.map": {"en": "{layer}, map {channel}", "zh": "{layer}，第 {channel} 张图"},
    # Conv
    "trace.how": {"en": "How it was computed", "zh": "它是怎么算出来的"},
    "trace.conv.text": {
        "en": "A {k}×{k} filter sits on {prev}, rows {top} to {bottom}, columns {left} to {right}. Each number under "
        "it is multiplied by the filter's number at the same place, and all the products are added up. Big "
        "products come from places where the picture looks like the filter.",
        "zh": "一个 {k}×{k} 的滤波器放在 {prev} 上：第 {top} 到 {bottom} 行，第 {left} 到 {right} 列。"
        "它下面的每个数都乘以滤波器同一位置的数，再把所有乘积加起来。图片和滤波器越像的地方，乘积越大。",
    },
    "trace.conv.padding": {
        "en": "Part of the window hangs over the edge of {prev}: the missing numbers count as 0 (that is padding), "
        "shown as 0.",
        "zh": "窗口有一部分伸出了 {prev} 的边缘：缺少的数按 0 计算（这叫填充），显示为 0。",
    },
    "trace.conv.channels": {
        "en": "The filter looks at all {n} maps of {prev} at once: one sum per map, then those sums are added.",
        "zh": "滤波器同时看 {prev} 的全部 {n} 张图：每张图求一个和，再把这些和加起来。",
    },
    "trace.conv.shown": {
        "en": "The {shown} maps that add the most are shown; every map's sum is in the table.",
        "zh": "下面列出了贡献最大的 {shown} 张图；每张图的和都在表格里。",
    },
    "trace.grid.patch": {"en": "{prev} map {i}: numbers under the window", "zh": "{prev} 第 {i} 张图：窗口下的数"},
    "trace.grid.input": {"en": "your digit: numbers under the window", "zh": "你的数字：窗口下的数"},
    "trace.grid.kernel": {"en": "filter", "zh": "滤波器"},
    "trace.grid.products": {"en": "products", "zh": "乘积"},
    "trace.grid.sum": {"en": "sum of these products: {sum}", "zh": "这些乘积的和：{sum}"},
    "trace.partial.map": {"en": "map of {prev}", "zh": "{prev} 的图"},
    "trace.partial.sum": {"en": "its sum", "zh": "它的和"},
    "trace.sum": {"en": "Sum of all the products: {total}", "zh": "所有乘积的和：{total}"},
    "trace.bias": {
        "en": "Plus the bias (a number the network learned, the same at every position): {total} + ({bias}) = {pre}",
        "zh": "加上偏置（网络学到的一个数，在每个位置都一样）：{total} + ({bias}) = {pre}",
    },
    "trace.bn": {
        "en": "Batch norm rescales it with numbers learned in training: ({pre} − {mean}) ÷ √({var} + {eps}) × "
        "{weight} + ({shift}) = {out}",
        "zh": "批归一化用训练时学到的数重新缩放它：({pre} − {mean}) ÷ √({var} + {eps}) × {weight} + ({shift}) = {out}",
    },
    "trace.act.relu.on": {
        "en": "ReLU keeps a positive number as it is: ReLU({x}) = {value}. This cell is switched on: what its "
        "filter looks for is there.",
        "zh": "ReLU 让正数保持不变：ReLU({x}) = {value}。这个单元是“打开”的：它的滤波器要找的东西在这里。",
    },
    "trace.act.relu.off": {
        "en": "ReLU turns a negative number into 0, so this cell is switched off: its sum was negative ({x}). "
        "What its filter looks for is not here.",
        "zh": "ReLU 把负数变成 0，所以这个单元是“关闭”的：它的和是负数（{x}）。它的滤波器要找的东西不在这里。",
    },
    "trace.act.tanh": {
        "en": "tanh squeezes any number to between −1 and 1: tanh({x}) = {value}.",
        "zh": "tanh 把任何数压到 −1 和 1 之间：tanh({x}) = {value}。",
    },
    "trace.act.sigmoid": {
        "en": "sigmoid squeezes any number to between 0 and 1: sigmoid({x}) = {value}.",
        "zh": "sigmoid 把任何数压到 0 和 1 之间：sigmoid({x}) = {value}。",
    },
    "trace.act.gelu": {
        "en": "GELU lets a positive number through almost as it is and squeezes a negative one towards 0: "
        "GELU({x}) = {value}.",
        "zh": "GELU 让正数几乎原样通过，把负数压向 0：GELU({x}) = {value}。",
    },
    "trace.dropout": {
        "en": "Dropout changes nothing when the network reads a drawing (it only drops numbers at random while it "
        "trains): it stays {value}.",
        "zh": "网络读手写时，Dropout 什么也不改变（它只在训练时随机丢掉一些数）：它仍然是 {value}。",
    },
    "trace.elementwise.text": {
        "en": "{layer} works on each number alone: it starts from the number at the same place of {prev}, {x}.",
        "zh": "{layer} 对每个数单独计算：它从 {prev} 同一位置的数 {x} 开始。",
    },
    # Pooling
    "trace.pool.max": {
        "en": "Max pooling looks at a {k}×{k} window of {prev} (rows {top} to {bottom}, columns {left} to "
        "{right}) and keeps only the biggest number: {value} (outlined). The others are dropped, so the map "
        "gets smaller and a slightly shifted stroke still gives the same answer.",
        "zh": "最大池化看 {prev} 上一个 {k}×{k} 的窗口（第 {top} 到 {bottom} 行，第 {left} 到 {right} 列），"
        "只留下最大的数：{value}（带框的那个）。其余的被丢掉，所以图变小了，笔画稍微挪一点答案也不变。",
    },
    "trace.pool.avg": {
        "en": "Average pooling looks at a {k}×{k} window of {prev} (rows {top} to {bottom}, columns {left} to "
        "{right}) and takes the mean: their sum {sum} ÷ {n} = {value}.",
        "zh": "平均池化看 {prev} 上一个 {k}×{k} 的窗口（第 {top} 到 {bottom} 行，第 {left} 到 {right} 列），"
        "取平均值：它们的和 {sum} ÷ {n} = {value}。",
    },
    "trace.pool.window": {"en": "{prev} map {i}: the window", "zh": "{prev} 第 {i} 张图：窗口"},
    # Fully connected
    "trace.fc.text": {
        "en": "{cell} is connected to all {n} numbers of {prev}. Each of them is multiplied by its own weight "
        "(learned in training) and everything is added up. These inputs pushed it most:",
        "zh": "{cell} 和 {prev} 的全部 {n} 个数都连着。每个数乘以它自己的权重（训练时学到的），然后全部加起来。"
        "推动它最多的输入是：",
    },
    "trace.fc.input": {"en": "input", "zh": "输入"},
    "trace.fc.in_value": {"en": "its value", "zh": "它的值"},
    "trace.fc.weight": {"en": "weight", "zh": "权重"},
    "trace.fc.product": {"en": "weight × value", "zh": "权重 × 值"},
    "trace.fc.up": {"en": "pushed it up", "zh": "往上推"},
    "trace.fc.down": {"en": "pulled it down", "zh": "往下拉"},
    "trace.fc.others": {"en": "the other {n} inputs together", "zh": "其余 {n} 个输入加起来"},
    "trace.fc.unit": {"en": "{prev} #{i}", "zh": "{prev} 第 {i} 个"},
    # Output and softmax
    "trace.output.text": {
        "en": "This number is the network's score for digit {digit}. A score can be any number, even negative; "
        "softmax then turns the ten scores into ten probabilities that add up to 100 %.",
        "zh": "这个数是网络给数字 {digit} 打的分。分数可以是任何数，甚至是负数；"
        "softmax 再把十个分数变成加起来等于 100% 的十个概率。",
    },
    "trace.softmax.title": {
        "en": "From scores to probabilities (softmax), step by step",
        "zh": "从分数到概率（softmax），一步一步",
    },
    "trace.softmax.steps": {
        "en": "Step 1: raise e (about 2.718) to the power of each score. Step 2: add those up: {sum}. Step 3: "
        "divide each by that sum. That gives the probabilities.",
        "zh": "第 1 步：求 e（约 2.718）的每个分数次方。第 2 步：把它们加起来：{sum}。"
        "第 3 步：每个都除以这个和，就得到概率。",
    },
    "trace.softmax.shift": {
        "en": "(The scores are so big that {shift} was first taken off every score; this does not change the result.)",
        "zh": "（分数太大，所以先从每个分数里减去了 {shift}；这不会改变结果。）",
    },
    "trace.softmax.digit": {"en": "digit", "zh": "数字"},
    "trace.softmax.score": {"en": "score", "zh": "分数"},
    "trace.softmax.exp": {"en": "e^score", "zh": "e^分数"},
    "trace.softmax.prob": {"en": "÷ sum = probability", "zh": "÷ 和 = 概率"},
    "trace.softmax.why": {
        "en": "Why does a small lead win by so much? Every extra point of score multiplies e^score by 2.718. "
        "Digit {a} scores {la} and digit {b} scores {lb}: only {diff} apart, yet {a} is e^{diff} ≈ {ratio} times as "
        "likely as {b}. A score of 9 against 7 is not 9 to 7: it is e² ≈ 7.4 to 1.",
        "zh": "为什么领先一点点就赢那么多？分数每多 1 分，e^分数 就乘以 2.718。"
        "数字 {a} 得 {la} 分，数字 {b} 得 {lb} 分：只差 {diff}，但 {a} 的可能性是 {b} 的 e^{diff} ≈ {ratio} 倍。"
        "9 分对 7 分不是 9 比 7，而是 e² ≈ 7.4 比 1。",
    },
    # The sliding window
    "trace.player.title": {"en": "Watch the window slide", "zh": "看窗口滑动"},
    "trace.player.text": {
        "en": "Press play: the window steps across {prev} and fills in {layer}'s map {channel} one number at a "
        "time, on your own digit. Pause, or drag the slider to step.",
        "zh": "点播放：窗口在 {prev} 上一格一格地移动，在你自己的数字上"
        "把 {layer} 的第 {channel} 张图一个数一个数地填出来。"
        "可以暂停，也可以拖动滑块一步一步看。",
    },
    "trace.player.part": {
        "en": "Shown: rows {top} to {bottom} and columns {left} to {right} of the map, around the number you picked.",
        "zh": "显示的是这张图的第 {top} 到 {bottom} 行、第 {left} 到 {right} 列，在你选的数字周围。",
    },
    "trace.player.input": {"en": "{prev} (the window)", "zh": "{prev}（窗口）"},
    "trace.player.output": {"en": "{layer} map {channel}, being built", "zh": "{layer} 第 {channel} 张图（正在生成）"},
    "trace.player.play": {"en": "Play", "zh": "播放"},
    "trace.player.pause": {"en": "Pause", "zh": "暂停"},
    "trace.player.position": {"en": "position", "zh": "位置"},
    "trace.input": {"en": "your digit", "zh": "你的数字"},
    # The perturbation sandbox
    "sandbox.show": {"en": "What would change its mind?", "zh": "怎样才能让它改变主意？"},
    "sandbox.occlusion.title": {"en": "Cover up a part", "zh": "遮住一部分"},
    "sandbox.occlusion.text": {
        "en": "A blank square slides over your digit. Orange places matter: covering them lowers the chance of "
        "{digit} (by up to {drop}). Purple places argue against it: covering them helps.",
        "zh": "一个空白方块在你的数字上滑过。橙色的地方很重要：遮住它们，{digit} 的概率就会下降（最多降 {drop}）。"
        "紫色的地方在反对它：遮住反而有帮助。",
    },
    "sandbox.transform.title": {"en": "Move, turn, thicken", "zh": "移动、旋转、加粗"},
    "sandbox.shift_x": {"en": "Move right (px)", "zh": "向右移（像素）"},
    "sandbox.shift_y": {"en": "Move down (px)", "zh": "向下移（像素）"},
    "sandbox.angle": {"en": "Turn (degrees, anticlockwise)", "zh": "旋转（度，逆时针）"},
    "sandbox.thickness": {"en": "Thinner ← stroke → thicker", "zh": "更细 ← 笔画 → 更粗"},
    "sandbox.transform.text": {
        "en": "Changed like this, the network reads {digit} ({pct}); before it read {before}.",
        "zh": "这样改了之后，网络读成 {digit}（{pct}）；原来读成 {before}。",
    },
    "sandbox.nudge.title": {"en": "Nudge it into another digit", "zh": "把它推成另一个数字"},
    "sandbox.nudge.target": {"en": "Turn it into", "zh": "变成"},
    "sandbox.nudge.go": {"en": "Find a small change", "zh": "找一个小改动"},
    "sandbox.nudge.already": {
        "en": "It already reads {digit}: nothing needs to change.",
        "zh": "它已经读成 {digit} 了：什么都不用改。",
    },
    "sandbox.nudge.not_found": {
        "en": "Couldn't find a change that turns it into {digit} within the time budget ({seconds} s). "
        "Try a digit that looks more alike.",
        "zh": "在时间限制（{seconds} 秒）内没有找到能把它变成 {digit} 的改动。试试一个更像的数字。",
    },
    "sandbox.nudge.found": {
        "en": "Found one in {seconds} s: no pixel changed by more than {largest} of full brightness, yet the "
        "network now reads {digit} ({pct}). A person still sees the same digit: the network's idea of a digit "
        "is not quite ours.",
        "zh": "用 {seconds} 秒找到了：没有一个像素的变化超过满亮度的 {largest}，但网络现在读成 {digit}（{pct}）。"
        "人看起来还是同一个数字：网络对数字的理解和我们不完全一样。",
    },
    "sandbox.nudge.before": {"en": "before", "zh": "之前"},
    "sandbox.nudge.after": {"en": "after the nudge", "zh": "推了之后"},
    "sandbox.nudge.change": {
        "en": "the change, made {times}× stronger to be seen",
        "zh": "改动（放大 {times} 倍才看得见）",
    },
}
