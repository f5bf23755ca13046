"""UI strings of the draw page.

Strings shown inside the prediction container when there is nothing to read must hold no digit
characters at all (tests read the first digit there as the prediction).
"""

STRINGS: dict[str, dict[str, str]] = {
    "draw.title": {"en": "Draw a digit, watch the network think", "zh": "写一个数字，看神经网络怎么想"},
    "draw.intro": {
        "en": "Draw any digit from 0 to 9 with the mouse or a finger. LeNet-5 reads it as you draw "
        "and shows what it sees, layer by layer.",
        "zh": "用鼠标或手指写一个 0 到 9 的数字。你一边写，LeNet-5 一边读，并一层一层地展示它看到了什么。",
    },
    # Input
    "draw.source": {"en": "Input", "zh": "输入方式"},
    "draw.source.draw": {"en": "Draw", "zh": "手写"},
    "draw.source.upload": {"en": "Upload", "zh": "上传"},
    "draw.source.mnist": {"en": "MNIST", "zh": "MNIST"},
    "draw.brush": {"en": "Brush width", "zh": "笔刷粗细"},
    "draw.clear": {"en": "Clear", "zh": "清空"},
    "draw.undo": {"en": "Undo", "zh": "撤销"},
    "draw.canvas_help": {
        "en": "White ink on black, just like MNIST's digits.",
        "zh": "黑底白字，和 MNIST 的数字一样。",
    },
    "draw.upload": {
        "en": "A photo or scan of one handwritten digit (PNG or JPEG)",
        "zh": "一张手写数字的照片或扫描图（PNG 或 JPEG）",
    },
    "draw.upload.hint": {
        "en": "Dark ink on white paper or light ink on a dark background both work. "
        "Crop the photo so that only one digit is in it.",
        "zh": "白纸黑字或黑底白字都可以。请把照片裁剪到只剩一个数字。",
    },
    # lenet.images.ImageError, by its code (ui.tr_error)
    "error.empty_file": {
        "en": "That file is empty. Pick a picture of a digit.",
        "zh": "这个文件是空的。请选一张数字的图片。",
    },
    "error.too_large": {
        "en": "That file is too large ({size_mb} MB). Pick a picture under {limit_mb} MB.",
        "zh": "这个文件太大了（{size_mb} MB）。请选一张小于 {limit_mb} MB 的图片。",
    },
    "error.not_an_image": {
        "en": "That file is not a picture we can read (it may be damaged, or another "
        "kind of file renamed). Try a PNG or JPEG.",
        "zh": "无法读取这个文件（它可能已损坏，或者是改了扩展名的其他文件）。请换一张 PNG 或 JPEG 图片。",
    },
    "error.decompression_bomb": {
        "en": "That picture claims to be enormous ({width}×{height} pixels), more "
        "than {limit_mp} megapixels. Pick a smaller one.",
        "zh": "这张图片声称自己极大（{width}×{height} 像素），超过 {limit_mp} 百万像素。请换一张小一些的。",
    },
    "draw.upload.failed": {
        "en": "Something went wrong while reading that picture. Try another one.",
        "zh": "读取这张图片时出了问题。请换一张试试。",
    },
    "draw.upload.none": {
        "en": "Upload a picture to see what the network makes of it.",
        "zh": "上传一张图片，看看神经网络怎么理解它。",
    },
    "draw.mnist.random": {"en": "Random", "zh": "随机"},
    "draw.mnist.wrong": {"en": "A mistake", "zh": "认错的"},
    "draw.mnist.index": {"en": "Test image number", "zh": "测试图片编号"},
    "draw.mnist.label": {
        "en": "MNIST test image #{index}. A person wrote it as a **{label}**.",
        "zh": "MNIST 测试图片 #{index}。写它的人写的是 **{label}**。",
    },
    "draw.mnist.sample_only": {
        "en": "MNIST's files were not found, so only a sample of {n} test digits is available. "
        "Showing the nearest one.",
        "zh": "没有找到 MNIST 的文件，只能使用 {n} 个测试数字的样本。下面显示的是编号最接近的一个。",
    },
    "draw.mnist.none_wrong": {
        "en": "This model gets every digit here right!",
        "zh": "这个模型把这里的每个数字都认对了！",
    },
    "draw.mnist.wrong_count": {
        "en": "The model gets {n} of these {total} digits wrong. Here is one of them.",
        "zh": "在这 {total} 个数字中，模型认错了 {n} 个。这是其中之一。",
    },
    # What the model sees
    "draw.steps.title": {"en": "What the model sees", "zh": "模型看到的是什么"},
    "draw.steps.intro": {
        "en": "Your drawing is turned into the same format as MNIST's training digits, step by step. "
        "The last picture is exactly what the network gets.",
        "zh": "你的字会一步一步地变成和 MNIST 训练数字一样的格式。最后一张图就是神经网络真正收到的输入。",
    },
    "draw.step.raw": {"en": "① your picture", "zh": "① 你的图片"},
    "draw.step.cropped": {"en": "② cropped to the ink", "zh": "② 裁剪到笔迹"},
    "draw.step.scaled": {"en": "③ shrunk to fit 20×20", "zh": "③ 缩小到 20×20 以内"},
    "draw.step.centred": {"en": "④ centred in 28×28: the input", "zh": "④ 放到 28×28 的中心：输入"},
    "draw.step.class": {"en": "a class's digit is already 28×28: the input", "zh": "课堂上的数字本来就是 28×28：输入"},
    "draw.opened": {"en": "Opened from the class wall: {caption}", "zh": "从课堂大屏打开：{caption}"},
    "draw.step.background": {"en": "the paper's own light, ink left out", "zh": "纸本身的明暗（去掉笔迹）"},
    "draw.step.ink": {"en": "ink: darker than the paper around it", "zh": "笔迹：比周围的纸更暗的地方"},
    "draw.step.lines": {"en": "ruled lines and the paper's edge removed", "zh": "去掉横线和纸的边缘"},
    "draw.step.marks": {"en": "the digit's marks (others dim)", "zh": "数字的笔画（其他痕迹变暗）"},
    "draw.camera": {"en": "Take a photo of a digit on paper", "zh": "给纸上的数字拍一张照片"},
    "draw.camera.hint": {
        "en": "No camera, or the browser blocked it? Choose Upload above and pick a photo from the device instead.",
        "zh": "没有摄像头，或者浏览器禁止了它？请在上面选择“上传”，从设备里选一张照片。",
    },
    "draw.source.camera": {"en": "Camera", "zh": "拍照"},
    "draw.prediction.multiple_marks": {
        "en": "I see more than one mark: crop the photo to one digit.",
        "zh": "我看到不止一个笔迹：请把照片裁剪到只剩一个数字。",
    },
    "error.multiple_marks": {
        "en": "I see more than one mark: crop the photo to one digit.",
        "zh": "我看到不止一个笔迹：请把照片裁剪到只剩一个数字。",
    },
    "draw.step.mnist": {"en": "an MNIST digit is already 28×28: the input", "zh": "MNIST 数字本来就是 28×28：输入"},
    # Prediction
    "draw.prediction.title": {"en": "The network says", "zh": "神经网络认为"},
    "draw.prediction.sure": {"en": "{pct} sure", "zh": "把握 {pct}"},
    "draw.prediction.fairly": {"en": "probably, {pct} sure", "zh": "大概是，把握 {pct}"},
    "draw.prediction.close": {
        "en": "or maybe {other}? It hesitates: {pct} against {other_pct}.",
        "zh": "也可能是 {other}？它在犹豫：{pct} 对 {other_pct}。",
    },
    "draw.prediction.guess": {
        "en": "only a guess ({pct} sure). Try writing it bigger or more clearly.",
        "zh": "只是猜测（把握 {pct}）。试着写大一些、清楚一些。",
    },
    "draw.prediction.blank": {"en": "Nothing to read yet. Draw a digit!", "zh": "还没有可读的内容。写一个数字吧！"},
    "draw.prediction.no_picture": {
        "en": "Nothing to read yet: no usable picture.",
        "zh": "还没有可读的内容：没有可用的图片。",
    },
    "draw.prediction.too_small": {
        "en": "That looks like a dot or a blob, not a digit. Draw a whole digit.",
        "zh": "这看起来像一个点或一团墨，不像数字。请写一个完整的数字。",
    },
    "draw.prediction.scribble": {
        "en": "That is far more ink than any digit has. The network would still pick one of the ten digits "
        "(it knows nothing else), so its answer would mean nothing. Clear the canvas and draw one digit.",
        "zh": "这比任何数字的墨水都多得多。网络仍然会从十个数字里挑一个（它只认识这些），"
        "所以它的回答毫无意义。请清空画布，写一个数字。",
    },
    "draw.prediction.no_model": {
        "en": "No model is loaded, so nothing can be read.",
        "zh": "没有加载模型，所以无法识别。",
    },
    "draw.prediction.wrong": {
        "en": "The correct answer is {label}: the model got this one wrong.",
        "zh": "正确答案是 {label}：模型认错了。",
    },
    "draw.prediction.right": {
        "en": "The correct answer is {label}: the model got it right.",
        "zh": "正确答案是 {label}：模型认对了。",
    },
    "draw.probs.title": {"en": "How sure, for each digit", "zh": "对每个数字的把握"},
    "draw.timing": {
        "en": "Server time for this picture: {ms:.0f} ms (reading it, running the network and drawing "
        "everything below).",
        "zh": "这张图在服务器上用时 {ms:.0f} 毫秒（读取图片、运行网络以及生成下面所有的图）。",
    },
    # Inside the network
    "draw.net.title": {"en": "Inside the network", "zh": "神经网络的内部"},
    "draw.net.intro": {
        "en": "Each picture below is one layer's output for your digit. Bright means a strong response, dark "
        "means none. The shape says how many maps there are and how big each one is.",
        "zh": "下面每张图是某一层对你的数字的输出。越亮表示反应越强，暗表示没有反应。"
        "形状表示有多少张特征图，以及每张有多大。",
    },
    "draw.net.intro.live": {
        "en": "Each layer of the network, in order, and what it does. Its maps for your digit are in the picture "
        "of the whole network above, painted live by your browser as you draw. The shape says how many maps "
        "there are and how big each one is.",
        "zh": "按顺序列出网络的每一层以及它做什么。它们对你的数字的特征图在上面的整个网络图中，"
        "由你的浏览器在你画的同时实时绘制。形状表示有多少张特征图，以及每张有多大。",
    },
    "draw.net.shape": {"en": "shape {shape}", "zh": "形状 {shape}"},
    "draw.net.input": {"en": "Input", "zh": "输入"},
    "draw.net.input.text": {
        "en": "A grid of {h}×{w} numbers, one per pixel: 0 is black, 1 is white ink.",
        "zh": "一个 {h}×{w} 的数字网格，每个像素一个数：0 是黑色，1 是白色的笔迹。",
    },
    "draw.net.title.conv": {"en": "{name} · convolution + {act}", "zh": "{name} · 卷积 + {act}"},
    "draw.net.title.pool.max": {"en": "{name} · max pooling", "zh": "{name} · 最大池化"},
    "draw.net.title.pool.avg": {"en": "{name} · average pooling", "zh": "{name} · 平均池化"},
    "draw.net.title.pool.none": {"en": "{name} · strided convolution + {act}", "zh": "{name} · 步幅卷积 + {act}"},
    "draw.net.title.fc": {"en": "{name} · fully connected + {act}", "zh": "{name} · 全连接 + {act}"},
    "draw.net.title.conv.bare": {"en": "{name} · convolution", "zh": "{name} · 卷积"},
    "draw.net.title.fc.bare": {"en": "{name} · fully connected", "zh": "{name} · 全连接"},
    "draw.net.title.other": {"en": "{name} · {layers}", "zh": "{name} · {layers}"},
    "draw.net.title.output": {"en": "Output · ten scores, then softmax", "zh": "输出 · 十个分数，然后是 softmax"},
    "draw.net.act.relu": {
        "en": "ReLU then replaces every negative answer with zero.",
        "zh": "接着 ReLU 把所有负数都变成零。",
    },
    "draw.net.act.tanh": {
        "en": "Then tanh squeezes every answer into the range from −1 to 1.",
        "zh": "接着 tanh 把每个结果压缩到 −1 到 1 之间。",
    },
    "draw.net.act.sigmoid": {
        "en": "Then the sigmoid squeezes every answer into the range from 0 to 1.",
        "zh": "接着 sigmoid 把每个结果压缩到 0 到 1 之间。",
    },
    "draw.net.act.gelu": {
        "en": "Then GELU lets positive answers through and softly damps the negative ones towards 0.",
        "zh": "接着 GELU 让正的结果通过，把负的结果柔和地压向 0。",
    },
    "draw.net.C1.text": {
        "en": "{c} small {k}×{k} filters slide across the picture. Each filter is a pattern detector (for "
        "example “an edge going up to the right”) and lights up wherever it finds its pattern.",
        "zh": "{c} 个 {k}×{k} 的小滤波器在图片上滑动。每个滤波器都是一个图案探测器（比如“向右上方的边缘”），"
        "在找到自己图案的地方就会变亮。",
    },
    "draw.net.pool.max.text": {
        "en": "Each map is cut into {p}×{p} squares and only the strongest value of each square is kept. The "
        "maps shrink, and a digit shifted by a pixel gives almost the same result.",
        "zh": "每张图被切成 {p}×{p} 的小方块，每个方块只保留最大的那个值。图变小了，"
        "数字即使移动一个像素，结果也几乎一样。",
    },
    "draw.net.pool.avg.text": {
        "en": "Each map is cut into {p}×{p} squares and each square is replaced by its average. The maps "
        "shrink, and a digit shifted by a pixel gives almost the same result.",
        "zh": "每张图被切成 {p}×{p} 的小方块，每个方块用它的平均值代替。图变小了，"
        "数字即使移动一个像素，结果也几乎一样。",
    },
    "draw.net.pool.none.text": {
        "en": "Instead of pooling, a learned filter that jumps {p} pixels at a time shrinks each map.",
        "zh": "这里不用池化，而是用一个每次跳 {p} 个像素的可学习滤波器把每张图缩小。",
    },
    "draw.net.C3.text": {
        "en": "{c} filters, each looking at all {m} maps of the layer before at once. They combine simple "
        "edges into bigger parts: curves, corners, loops and line ends.",
        "zh": "{c} 个滤波器，每个同时查看上一层的全部 {m} 张图。它们把简单的边缘组合成更大的部件："
        "弯曲、拐角、圆圈和线头。",
    },
    "draw.net.S4.text": {
        "en": "Where in the picture a part appears matters less and less; what matters is which parts are there.",
        "zh": "部件出现在图中的哪个位置越来越不重要，重要的是有哪些部件。",
    },
    "draw.net.C5.text": {
        "en": "{c} neurons, each looking at all {n} numbers of the layer before at once. From here on the "
        "picture is gone: the digit is described by a list of {c} clues (one square per neuron).",
        "zh": "{c} 个神经元，每个同时查看上一层的全部 {n} 个数。从这里开始已经没有图片了："
        "数字由 {c} 条线索来描述（每个小方块是一个神经元）。",
    },
    "draw.net.F6.text": {
        "en": "{c} neurons, each connected to all {m} numbers before it. Each one adds them up with its own "
        "weights, mixing the clues into evidence for or against each digit.",
        "zh": "{c} 个神经元，每个都和前面的全部 {m} 个数相连。每个神经元用自己的权重把它们加起来，"
        "把线索混合成支持或反对各个数字的证据。",
    },
    "draw.net.output.text": {
        "en": "One score per digit: the higher, the more the network believes in it. Softmax turns the "
        "scores into probabilities that add up to 100 % (the chart at the top).",
        "zh": "每个数字一个分数：分数越高，网络越相信是它。softmax 把这些分数变成加起来等于 100% 的概率"
        "（就是上面的那张图）。",
    },
    "draw.net.colours": {
        "en": "Colours: {cmap} (change it in the sidebar). Each layer has its own scale.",
        "zh": "配色：{cmap}（可在侧边栏更改）。每一层使用自己的刻度。",
    },
    # Why this digit
    "draw.why.title": {"en": "Why this digit?", "zh": "为什么是这个数字？"},
    "draw.why.text": {
        "en": "Orange pixels pushed the network towards its answer, purple pixels pushed it away. "
        "Undo the most orange stroke, or draw it another way, and see what happens.",
        "zh": "橙色的像素把网络推向它的答案，紫色的像素把它推开。"
        "试着撤销橙色最多的那一笔，或者换一种写法，看看会发生什么。",
    },
    "draw.why.method": {"en": "How to find the pixels that mattered", "zh": "如何找出起作用的像素"},
    "draw.why.method.gradient": {"en": "Quick (gradient × ink)", "zh": "快速（梯度 × 笔迹）"},
    "draw.why.method.integrated": {"en": "Integrated gradients", "zh": "积分梯度"},
    "draw.why.ig_text": {
        "en": "The digit is faded in from a blank page in 32 steps, and each pixel is credited with how much it "
        "raised the score of {digit} on the way. A blank page scores {blank}, your digit {score}: the credits add "
        "up to {total}, the difference. Orange pixels raised the score, purple ones lowered it.",
        "zh": "把数字从一张白纸分 32 步慢慢显现出来，记下每个像素在这一路上把 {digit} 的分数提高了多少。"
        "白纸得分 {blank}，你的数字得分 {score}：所有像素的功劳加起来是 {total}，正好是两者之差。"
        "橙色像素提高了分数，紫色像素降低了分数。",
    },
    "draw.why.nothing": {
        "en": "Draw a digit to see which pixels mattered.",
        "zh": "写一个数字，就能看到哪些像素起了作用。",
    },
    # Kernels
    "draw.kernels.title": {"en": "What the filters learned", "zh": "滤波器学到了什么"},
    "draw.kernels.intro": {
        "en": "The network learned these filters by itself during training. Orange weights want bright ink, "
        "purple weights want darkness, white means “don't care”.",
        "zh": "这些滤波器是网络在训练中自己学会的。橙色的权重希望那里有亮的笔迹，紫色的权重希望那里是暗的，"
        "白色表示“无所谓”。",
    },
    "draw.kernels.first": {
        "en": "{name}: {c} filters of {k}×{k}, one per column",
        "zh": "{name}：{c} 个 {k}×{k} 的滤波器，每列一个",
    },
    "draw.kernels.deeper": {
        "en": "{name}: {c} filters (columns), each with a {k}×{k} slice for each of the {m} maps "
        "of the layer before (rows)",
        "zh": "{name}：{c} 个滤波器（列），每个对上一层的 {m} 张图（行）各有一个 {k}×{k} 的切片",
    },
    # The overview (surface.overview, lenet/web/overview.js): the whole network in one picture, live
    "overview.title": {"en": "The whole network in one picture", "zh": "整个网络一张图"},
    "overview.picture": {
        "en": "The whole network, live: the input on the left, then every layer's maps in order, the ten outputs "
        "on the right. Arrow keys move between units, Shift with the arrows inside a map, Enter selects one.",
        "zh": "整个网络，实时更新：左边是输入，然后按顺序是每一层的图，最右边是十个输出。"
        "方向键在单元之间移动，按住 Shift 用方向键在一张图里移动，回车键选中。",
    },
    "overview.input": {"en": "input", "zh": "输入"},
    "overview.selected": {"en": "Selected: {unit}.", "zh": "已选中：{unit}。"},
    "overview.path_shown": {
        "en": "The green path follows its strongest positive contributions back to your drawing.",
        "zh": "绿色路径沿着它最强的正贡献一路追溯到你的手写。",
    },
    "overview.help": {
        "en": "Each column is one layer's output, in the order the network computes them, redrawn as you draw. "
        "The names above the columns are the layers' names; the digits beside the last column say which output "
        "stands for which digit. Click or tap a square (or use the keyboard) to select it: lines join it to the "
        '12 units that add the most to it, and its computation is explained under "Trace a number back to your '
        'drawing". A contribution is the value of a unit times the weight that joins it to the selected one '
        "(for max pooling, the largest value in the window; for average pooling, its share of the mean; with "
        "batch norm, times its scale): what it adds to the selected unit before its activation.",
        "zh": "每一列是一层的输出，按网络计算的顺序排列，你写的时候会实时重画。列上方是层的名字；"
        "最后一列旁边的数字表示每个输出代表哪个数字。点一下某个方块（或用键盘）就能选中它："
        "连线把它和对它贡献最大的 12 个单元连起来，它的计算过程在“把一个数字追溯到你的手写”里一步步解释。"
        "贡献就是一个单元的值乘以连接它和所选单元的权重（最大池化：窗口里最大的那个值；平均池化：它在平均值里的份额；"
        "有批归一化时再乘以它的缩放系数），也就是它在激活函数之前给所选单元加上的量。",
    },
    "overview.legend_maps": {
        "en": "Squares: one number each, dark low, light high (each layer on its own scale)",
        "zh": "小方块：每个代表一个数，暗的小，亮的大（每层按自己的范围）",
    },
    "overview.legend_positive": {
        "en": "Solid orange line: a contribution that raises the selected unit",
        "zh": "橙色实线：让所选单元变大的贡献",
    },
    "overview.legend_negative": {
        "en": "Dashed purple line: a contribution that lowers it",
        "zh": "紫色虚线：让它变小的贡献",
    },
    "overview.legend_width": {
        "en": "Thicker line: a larger contribution (the largest is the thickest)",
        "zh": "线越粗：贡献越大（最大的最粗）",
    },
    "overview.legend_path": {
        "en": "Thick green line and boxes (select the winning digit): the strongest positive contribution, layer "
        "by layer, back to the input; the dashed green box is the patch of your drawing it starts from",
        "zh": "绿色粗线和方框（选中胜出的数字时）：一层一层沿最强的正贡献追溯到输入；绿色虚线框是它出发的那一块手写",
    },
    "overview.legend_selected": {
        "en": "Box: the selected unit; dotted box: where the keyboard is",
        "zh": "方框：选中的单元；点线框：键盘所在的位置",
    },
}
