"""UI strings of the evaluate page."""

STRINGS: dict[str, dict[str, str]] = {
    "eval.title": {"en": "How good is this model?", "zh": "这个模型有多好？"},
    "eval.intro": {
        "en": "The model reads the 10,000 MNIST test digits. It never saw them while training, so "
        "this is a fair exam: how many does it get right, which digits does it mix up, and "
        "what do its mistakes look like?",
        "zh": "让模型读 10,000 个 MNIST 测试数字。训练时它从没见过这些数字，所以这是一场公平的考试："
        "它认对了多少？哪些数字容易搞混？它认错的数字长什么样？",
    },
    "eval.checkpoint": {"en": "Model to evaluate", "zh": "要评估的模型"},
    "eval.computing": {"en": "Reading 10,000 test digits…", "zh": "正在读取 10,000 个测试数字…"},
    "eval.accuracy": {"en": "Test accuracy", "zh": "测试准确率"},
    "eval.mistakes_metric": {"en": "Mistakes", "zh": "认错的数量"},
    "eval.mistakes_value": {"en": "{wrong:,} of {n:,}", "zh": "{n:,} 个中的 {wrong:,} 个"},
    "eval.trained": {
        "en": "Trained for {epochs:g} epoch(s) on {device}.",
        "zh": "在 {device} 上训练了 {epochs:g} 轮。",
    },
    "eval.per_class": {"en": "Right answers for each digit", "zh": "每个数字的正确率"},
    "eval.per_class_help": {
        "en": "Some digits are harder than others: a sloppy 9 looks like a 4, a 7 like a 1.",
        "zh": "有些数字比别的更难：潦草的 9 像 4，7 像 1。",
    },
    "eval.digit_axis": {"en": "true digit", "zh": "真实数字"},
    "eval.right_axis": {"en": "read correctly", "zh": "认对的比例"},
    "eval.confusion": {"en": "Confusion matrix", "zh": "混淆矩阵"},
    "eval.confusion_help": {
        "en": "Each row is the real digit, each column the model's answer, and each square "
        "counts the test digits that fell there. The diagonal holds the right answers; "
        "every number off the diagonal is a mix-up, such as a 4 read as a 9. Hover "
        "over a square to read it.",
        "zh": "每一行是真实的数字，每一列是模型的回答，每个格子里是落在那里的测试数字个数。"
        "对角线上是答对的；对角线以外的每个数字都是一次混淆，比如把 4 认成 9。"
        "把鼠标移到格子上可以看详细信息。",
    },
    "eval.pred_axis": {"en": "model's answer", "zh": "模型的回答"},
    "eval.true_axis": {"en": "real digit", "zh": "真实数字"},
    "eval.hover": {
        "en": "a real {true} read as {pred}: {count} digit(s)",
        "zh": "真实的 {true} 被认成 {pred}：{count} 个",
    },
    "eval.hover_right": {
        "en": "a real {true} read correctly: {count} digit(s)",
        "zh": "真实的 {true} 被认对：{count} 个",
    },
    "eval.gallery": {"en": "Mistakes", "zh": "认错的数字"},
    "eval.gallery_help": {
        "en": "The most confident mistakes come first. Many are hard even for people. Press "
        "Open to explore one, layer by layer, in Draw & explore.",
        "zh": "最“自信”的错误排在最前面。其中很多连人都很难认。按“打开”可以在“手写与探索”页面里逐层查看它。",
    },
    "eval.filter_true": {"en": "Real digit", "zh": "真实数字"},
    "eval.filter_pred": {"en": "Model's answer", "zh": "模型的回答"},
    "eval.any": {"en": "any", "zh": "全部"},
    "eval.gallery_count": {"en": "Showing {shown} of {total} mistakes.", "zh": "显示 {total} 个错误中的 {shown} 个。"},
    "eval.no_mistakes": {"en": "No mistakes here.", "zh": "这里没有错误。"},
    "eval.tile": {"en": "real {true} → {pred} ({conf:.0%})", "zh": "真实 {true} → {pred}（{conf:.0%}）"},
    "eval.open": {"en": "Open", "zh": "打开"},
    "eval.tile_alt": {
        "en": "Test digit #{index}: a handwritten {true} that the model read as {pred}",
        "zh": "测试数字 #{index}：手写的 {true}，模型读成了 {pred}",
    },
    "eval.open_help": {
        "en": "Open test digit #{index} (a {true}) in Draw & explore",
        "zh": "在“手写与探索”中打开测试数字 #{index}（一个 {true}）",
    },
}
