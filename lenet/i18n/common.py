"""UI strings shared by the shell and every page."""

STRINGS: dict[str, dict[str, str]] = {
    "nav.draw": {"en": "Draw & explore", "zh": "手写与探索"},
    "nav.conv_lab": {"en": "Convolution lab", "zh": "卷积实验室"},
    "nav.train": {"en": "Train", "zh": "训练"},
    "nav.evaluate": {"en": "Evaluate", "zh": "评估"},
    "sidebar.model": {"en": "Model", "zh": "模型"},
    "sidebar.language": {"en": "Language", "zh": "语言"},
    "sidebar.device": {"en": "Device: {device}", "zh": "设备：{device}"},
    "sidebar.shipped": {"en": "shipped LeNet-5", "zh": "自带的 LeNet-5"},
    "sidebar.no_models": {
        "en": "No model found. Train one on the Train page.",
        "zh": "没有找到模型。请在“训练”页面训练一个。",
    },
    "sidebar.colormap": {"en": "Colour map", "zh": "配色"},
    "sidebar.projector": {"en": "Projector view", "zh": "投影视图"},
    "sidebar.projector.help": {
        "en": "No sidebar, larger type and pictures: for a projector. The page keeps its state.",
        "zh": "隐藏侧边栏，放大文字和图片，适合投影。页面内容保持不变。",
    },
    "projector.exit": {"en": "Leave projector view", "zh": "退出投影视图"},
    "sidebar.credit": {
        "en": "MNIST © Yann LeCun, Corinna Cortes, Christopher J.C. Burges (CC BY-SA 3.0)",
        "zh": "MNIST © Yann LeCun、Corinna Cortes、Christopher J.C. Burges（CC BY-SA 3.0）",
    },
    # The drawing surface (surface.py, lenet/web/surface.js), on the Draw and Class pages
    "surface.label": {
        "en": "Drawing area: draw one digit with the mouse, a finger or a pen",
        "zh": "绘图区：用鼠标、手指或触控笔写一个数字",
    },
    "surface.live": {"en": "Live reading:", "zh": "实时识别："},
    "surface.weights_failed": {
        "en": "This model's weights could not be loaded in the browser: the answer comes after each stroke.",
        "zh": "浏览器无法加载这个模型的权重：每写完一笔后再显示答案。",
    },
    # The training scrubber (Draw page, key draw_history): {step}, {total}, {acc}, {n} are filled in the browser
    "surface.history": {"en": "Training step: {step} of {total}", "zh": "训练步数：第 {step} 步，共 {total} 步"},
    "surface.history_acc": {"en": "{acc} right on {n} test digits", "zh": "在 {n} 个测试数字上答对 {acc}"},
    "surface.history_rerun": {
        "en": "from a re-run of this model's recipe (its own run kept no snapshots)",
        "zh": "来自按同一配方重新训练的一次运行（这个模型自己的训练没有保存快照）",
    },
    "surface.history_loading": {"en": "Loading the snapshots…", "zh": "正在加载训练快照…"},
    "surface.history_failed": {
        "en": "The training snapshots could not be loaded in the browser.",
        "zh": "浏览器无法加载训练快照。",
    },
}
