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
    "error.data_missing": {
        "en": "MNIST was not found in {folder}. Download it on the Train page, or run "
        "`python -m lenet fetch-data`, or set LENET_DATA_DIR to a folder with the four files.",
        "zh": "在 {folder} 中没有找到 MNIST。可以在“训练”页面下载，或运行 "
        "`python -m lenet fetch-data`，或把 LENET_DATA_DIR 设为存放这四个文件的文件夹。",
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
}
