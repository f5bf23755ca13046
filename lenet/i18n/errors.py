"""User-facing messages for engine errors, keyed by their `code` (error.<code>)."""

STRINGS: dict[str, dict[str, str]] = {
    "error.checkpoint_missing": {
        "en": "The model file {name} is gone (it may have been deleted). Pick another model.",
        "zh": "模型文件 {name} 不见了（可能已被删除）。请选择其他模型。",
    },
    "error.checkpoint_too_large": {
        "en": "{name} is far too large to be a LeNet checkpoint.",
        "zh": "{name} 太大了，不可能是 LeNet 的检查点。",
    },
    "error.checkpoint_corrupt": {
        "en": "{name} is damaged or not a safetensors file.",
        "zh": "{name} 已损坏，或者不是 safetensors 文件。",
    },
    "error.checkpoint_no_config": {
        "en": "{name} is not a LeNet Explorer checkpoint (no model config inside).",
        "zh": "{name} 不是 LeNet 探索器的检查点（里面没有模型配置）。",
    },
    "error.checkpoint_bad_config": {
        "en": "{name} describes a network that cannot be built: {reason}",
        "zh": "{name} 描述的网络无法构建：{reason}",
    },
    "error.checkpoint_mismatch": {
        "en": "The weights in {name} do not fit the network it describes.",
        "zh": "{name} 里的权重与它描述的网络不匹配。",
    },
    "error.checkpoint_nan": {
        "en": "{name} holds broken weights (NaN or infinity).",
        "zh": "{name} 含有损坏的权重（NaN 或无穷大）。",
    },
    "error.history_invalid": {
        "en": "The training history of {name} is damaged: the model works, without its snapshots.",
        "zh": "{name} 的训练历史已损坏：模型照常可用，只是没有训练快照。",
    },
    "error.history_mismatch": {
        "en": "{name} cannot take that history: it comes from another network or recipe.",
        "zh": "{name} 不能使用这段训练历史：它来自另一个网络或另一种训练配方。",
    },
    "error.data_missing": {
        "en": "MNIST was not found in {folder}. Download it on the Train page, or run "
        "`python -m lenet fetch-data`, or set LENET_DATA_DIR to a folder with the four files.",
        "zh": "在 {folder} 中没有找到 MNIST。可以在“训练”页面下载，或运行 "
        "`python -m lenet fetch-data`，或把 LENET_DATA_DIR 设为存放这四个文件的文件夹。",
    },
    "error.dataset_bad": {
        "en": "This file is not a digits dataset ({reason}). Use a class's download: the .npz, or the zip of "
        "MNIST IDX files.",
        "zh": "这个文件不是数字数据集（{reason}）。请使用课堂导出的文件：.npz，或 MNIST IDX 文件的 zip。",
    },
    "error.data_corrupt": {
        "en": "The MNIST file {file} is damaged. Delete it and download MNIST again.",
        "zh": "MNIST 文件 {file} 已损坏。请删除它并重新下载 MNIST。",
    },
    "error.download_failed": {
        "en": "Could not download MNIST into {folder}. Check the internet connection, or copy "
        "the four files there by hand.",
        "zh": "无法把 MNIST 下载到 {folder}。请检查网络连接，或手动把这四个文件复制到那里。",
    },
    # Class mode (lenet/classmode/store.py's codes)
    "error.class_unknown": {
        "en": "No class is running with the code “{class_code}”. Check the code, or ask your teacher for the link.",
        "zh": "没有代码为“{class_code}”的课堂。请检查代码，或向老师要链接。",
    },
    "error.class_ended": {
        "en": "Class {class_code} has ended. Thank you for taking part!",
        "zh": "课堂 {class_code} 已经结束。谢谢参与！",
    },
    "error.class_expired": {
        "en": "Class {class_code} has expired (classes last a few hours). Ask your teacher for a new code.",
        "zh": "课堂 {class_code} 已过期（课堂只保留几个小时）。请向老师要一个新代码。",
    },
    "error.too_many_guesses": {
        "en": "Too many wrong codes. Wait a minute, then try again.",
        "zh": "输错代码的次数太多了。请等一分钟再试。",
    },
    "error.class_full": {
        "en": "This class is full ({limit} at most).",
        "zh": "这个课堂已满（最多 {limit} 个）。",
    },
    "error.too_fast": {
        "en": "You are sending too fast: at most {limit} digits every {window_s} seconds. Slow down a little.",
        "zh": "你发送得太快了：每 {window_s} 秒最多 {limit} 个数字。请慢一点。",
    },
    "error.bad_digit": {
        "en": "That digit could not be sent (its {field} is not valid).",
        "zh": "这个数字无法发送（它的 {field} 无效）。",
    },
    "error.member_unknown": {
        "en": "You are no longer in this class; join again.",
        "zh": "你已经不在这个课堂中了；请重新加入。",
    },
    "error.not_teacher": {
        "en": "This teacher link is not valid. Only the link shown when the class started opens the teacher's view.",
        "zh": "这个教师链接无效。只有开始课堂时显示的链接才能打开老师的视图。",
    },
    "error.bad_link": {
        "en": "Only a page of this app can be sent to the class.",
        "zh": "只能把本应用中的页面发送给全班。",
    },
    "error.digit_unknown": {
        "en": "There is no digit #{digit_id} in this class.",
        "zh": "这个课堂中没有数字 #{digit_id}。",
    },
    "error.bad_question": {
        "en": "A question needs 2 to {limit} answers, and the right one among them.",
        "zh": "一个问题需要 2 到 {limit} 个答案，并且正确答案要在其中。",
    },
    "error.question_unknown": {
        "en": "That question is no longer open.",
        "zh": "这个问题已经不存在了。",
    },
    "error.question_closed": {
        "en": "The answer has been revealed; this question is closed.",
        "zh": "答案已经揭晓；这个问题已关闭。",
    },
    "error.bad_choice": {
        "en": "Choose one of the answers.",
        "zh": "请选择其中一个答案。",
    },
    "error.no_free_code": {
        "en": "No free class code was found; try again.",
        "zh": "没有找到可用的课堂代码；请再试一次。",
    },
    "error.db_unavailable": {
        "en": "The class database is not reachable right now; trying again.",
        "zh": "暂时无法连接课堂数据库；正在重试。",
    },
}
