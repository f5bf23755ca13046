"""UI strings of the train page, and the messages for training and job errors (error.<code>)."""

STRINGS: dict[str, dict[str, str]] = {
    "train.title": {"en": "Train a network", "zh": "训练一个网络"},
    "train.intro": {
        "en": "Training means showing the network 60,000 handwritten digits with their answers, over "
        "and over, and nudging its weights a little after every batch so that it makes fewer "
        "mistakes. Pick the settings, press Start, and watch it learn.",
        "zh": "训练就是把 60,000 个带答案的手写数字一遍又一遍地给网络看，每看完一批就把它的权重"
        "稍微调整一点，让它犯的错更少。选好设置，按“开始”，看着它学习。",
    },
    "train.glossary_title": {"en": "What do these words mean?", "zh": "这些词是什么意思？"},
    "train.network": {"en": "Network", "zh": "网络"},
    "train.network_lenet5": {"en": "LeNet-5 (the classic)", "zh": "LeNet-5（经典结构）"},
    "train.network_lab": {"en": "The network from the convolution lab", "zh": "卷积实验室里的网络"},
    "train.network_list": {"en": "A list of layers of your own", "zh": "自己的层列表"},
    "train.net_preset": {"en": "Start from a preset", "zh": "从预设开始"},
    "train.net_text": {"en": "Layers, in order", "zh": "各层，按顺序"},
    "train.net_help": {
        "en": "Comma-separated: c6k5p2 (a conv: 6 filters of 5×5, padding 2), mp2 / ap2 (max or average pooling), "
        "relu, tanh, sigmoid, gelu, bn (batch norm), drop0.25 (dropout), fc84 (fully connected). The last layer is "
        "fc10. The Convolution lab's designer builds one layer by layer.",
        "zh": "用逗号分隔：c6k5p2（卷积：6 个 5×5 的滤波器，填充 2）、mp2 / ap2（最大或平均池化）、"
        "relu、tanh、sigmoid、gelu、bn（批归一化）、drop0.25（丢弃）、fc84（全连接）。最后一层是 fc10。"
        "卷积实验室的设计器可以一层一层地搭。",
    },
    "train.net_blocks": {"en": "Its layers: {names}.", "zh": "它的各层：{names}。"},
    "train.network_params": {"en": "{n:,} weights to learn.", "zh": "需要学习 {n:,} 个权重。"},
    "train.lab_invalid": {
        "en": "The network sent from the convolution lab cannot be built: {reason}",
        "zh": "卷积实验室发来的网络无法构建：{reason}",
    },
    "train.network_invalid": {"en": "This combination cannot be built: {reason}", "zh": "这种组合无法构建：{reason}"},
    "train.activation": {"en": "Activation", "zh": "激活函数"},
    "train.activation_help": {
        "en": "The function each neuron applies to its sum. ReLU keeps positives and zeroes "
        "negatives; tanh and sigmoid squash into a range (the 1998 LeNet used tanh).",
        "zh": "每个神经元对加权和施加的函数。ReLU 保留正数、把负数变成 0；tanh 和 sigmoid "
        "把数值压进一个范围（1998 年的 LeNet 用的是 tanh）。",
    },
    "train.activation_relu": {"en": "ReLU", "zh": "ReLU"},
    "train.activation_tanh": {"en": "tanh", "zh": "tanh"},
    "train.activation_sigmoid": {"en": "sigmoid", "zh": "sigmoid"},
    "train.pool": {"en": "Pooling", "zh": "池化"},
    "train.pool_help": {
        "en": "How each map is shrunk to half size: keep the strongest value (max), the average, "
        "or let a learned convolution with stride 2 do it (none).",
        "zh": "把每张特征图缩小一半的方式：保留最大值（max）、取平均（avg），"
        "或者用一个步长为 2 的可学习卷积来完成（none）。",
    },
    "train.pool_max": {"en": "max", "zh": "最大池化"},
    "train.pool_avg": {"en": "average", "zh": "平均池化"},
    "train.pool_none": {"en": "none (strided convolution)", "zh": "无（带步长的卷积）"},
    "train.settings": {"en": "Training settings", "zh": "训练设置"},
    "train.optimizer": {"en": "Optimizer", "zh": "优化器"},
    "train.optimizer_adamw": {"en": "Adam (W)", "zh": "Adam（W）"},
    "train.optimizer_sgd": {"en": "SGD with momentum", "zh": "带动量的 SGD"},
    "train.lr": {"en": "Learning rate (peak)", "zh": "学习率（峰值）"},
    "train.lr_help": {
        "en": "How big each step is. It warms up to this value, then slowly cools down (a "
        "one-cycle schedule). Try 1.0 with SGD to see a run fail.",
        "zh": "每一步的大小。先逐渐升到这个值，再慢慢降下来（one-cycle 调度）。试试 SGD 配 1.0，看看训练如何失败。",
    },
    "train.batch": {"en": "Batch size", "zh": "批大小"},
    "train.batch_help": {
        "en": "Digits per step. 60,000 ÷ batch size = steps per epoch.",
        "zh": "每一步看的数字个数。60,000 ÷ 批大小 = 每轮的步数。",
    },
    "train.epochs": {"en": "Epochs (at most {max})", "zh": "轮数（最多 {max}）"},
    "train.epochs_help": {
        "en": "Passes over the training digits. One epoch of the default settings already reaches about 98.5 %.",
        "zh": "把训练数字看几遍。默认设置训练一轮就能达到约 98.5%。",
    },
    "train.device": {"en": "Device", "zh": "设备"},
    "train.device_auto": {"en": "automatic ({device})", "zh": "自动（{device}）"},
    "train.device_cpu": {"en": "CPU", "zh": "CPU"},
    "train.device_cuda": {"en": "GPU (CUDA)", "zh": "GPU（CUDA）"},
    "train.device_mps": {"en": "Apple GPU (MPS)", "zh": "Apple GPU（MPS）"},
    "train.name": {"en": "Run name", "zh": "训练名称"},
    "train.default_name": {"en": "my-lenet", "zh": "my-lenet"},
    "train.own.title": {"en": "Add digits of your own", "zh": "加入你们自己的数字"},
    "train.own.text": {
        "en": "A class's download (the .npz, or the zip of MNIST IDX files) is mixed into MNIST's training digits. "
        "{pct} of them are held back: the finished run says how well it reads them before and after.",
        "zh": "课堂导出的文件（.npz，或 MNIST IDX 文件的 zip）会混入 MNIST 的训练数字。其中 {pct} 被留作检验："
        "训练结束后会显示训练前后在这些数字上的准确率。",
    },
    "train.own.upload": {"en": "Digits dataset", "zh": "数字数据集"},
    "train.own.read": {"en": "{n} digits read (per digit: {counts}).", "zh": "已读取 {n} 个数字（各数字：{counts}）。"},
    "train.own.fine_tune": {
        "en": "Start from the model in the sidebar (fine-tune it) instead of from scratch",
        "zh": "从侧边栏中的模型开始（微调），而不是从头训练",
    },
    "train.own.result": {
        "en": "Your held-back digits ({n}): {before} before, {after} after",
        "zh": "留作检验的数字（{n} 个）：训练前 {before}，训练后 {after}",
    },
    "train.augment": {
        "en": "Augment the digits (reads mouse-drawn digits better, learns a bit slower)",
        "zh": "数据增强（更能认出鼠标写的数字，但学得稍慢）",
    },
    "train.keep": {"en": "If I stop early, keep the model anyway", "zh": "如果我提前停止，也保留模型"},
    "train.start": {"en": "Start training", "zh": "开始训练"},
    "train.stop": {"en": "Stop", "zh": "停止"},
    "train.status_none": {
        "en": "No run yet: choose the settings and press **Start training**.",
        "zh": "还没有训练：选好设置，然后按 **开始训练**。",
    },
    "train.status_queued": {
        "en": "⏳ **queued**: number {position} in the line. It starts by itself when the runs ahead of it end.",
        "zh": "⏳ **排队中**：排在第 {position} 位。前面的训练结束后会自动开始。",
    },
    "train.status_preparing": {"en": "🏃 **running**: loading the digits…", "zh": "🏃 **训练中**：正在加载数字…"},
    "train.status_running": {
        "en": "🏃 **running** on {device}: epoch {epoch:.2f} of {epochs}, step {step:,} of {total:,}",
        "zh": "🏃 **训练中**，设备 {device}：第 {epoch:.2f} / {epochs} 轮，第 {step:,} / {total:,} 步",
    },
    "train.status_stopping": {
        "en": "🏃 **running**: stopping after this batch…",
        "zh": "🏃 **训练中**：这一批结束后停止…",
    },
    "train.status_finished": {
        "en": "✅ **finished**: {acc:.2%} of the test digits right, after {epochs} epoch(s) "
        "in {seconds:.0f} s. Saved as {file}.",
        "zh": "✅ **已完成**：测试数字认对 {acc:.2%}，训练 {epochs} 轮，用时 {seconds:.0f} 秒。已保存为 {file}。",
    },
    "train.status_stopped": {
        "en": "⏹️ **stopped** after {epoch:.2f} epoch(s).",
        "zh": "⏹️ **已停止**，共训练 {epoch:.2f} 轮。",
    },
    "train.stopped_saved": {
        "en": "The model so far ({acc:.2%} right) was saved as {file}.",
        "zh": "目前的模型（认对 {acc:.2%}）已保存为 {file}。",
    },
    "train.stopped_dropped": {"en": "Nothing was saved.", "zh": "没有保存任何东西。"},
    "train.status_failed": {"en": "❌ **failed**: {reason}", "zh": "❌ **失败**：{reason}"},
    "train.progress": {
        "en": "{rate:,.0f} digits per second · about {eta} left",
        "zh": "每秒 {rate:,.0f} 个数字 · 大约还剩 {eta}",
    },
    "train.progress_start": {"en": "{rate:,.0f} digits per second", "zh": "每秒 {rate:,.0f} 个数字"},
    "train.seconds": {"en": "{s} s", "zh": "{s} 秒"},
    "train.minutes": {"en": "{m} min {s} s", "zh": "{m} 分 {s} 秒"},
    "train.loss_title": {"en": "Training loss (smoothed)", "zh": "训练损失（平滑后）"},
    "train.loss_raw": {"en": "each batch", "zh": "每一批"},
    "train.loss_axis": {"en": "loss", "zh": "损失"},
    "train.epoch_axis": {"en": "epoch", "zh": "轮"},
    "train.acc_title": {"en": "Test accuracy", "zh": "测试准确率"},
    "train.acc_axis": {"en": "right on the test digits", "zh": "测试数字认对的比例"},
    "train.loss_caption": {
        "en": "The loss is high at first, because the weights start random. Every step "
        "nudges them so that the loss on that batch would have been a bit lower, "
        "so the curve goes down.",
        "zh": "一开始权重是随机的，所以损失很高。每一步都会把权重往“让这一批的损失更小”的"
        "方向推一点，所以曲线会往下走。",
    },
    "train.acc_caption": {
        "en": "Checked {n} times per epoch on 10,000 digits the network never trains on.",
        "zh": "每轮在 10,000 个网络从没练过的数字上检查 {n} 次。",
    },
    "train.use_model": {"en": "Use this model", "zh": "使用这个模型"},
    "train.using_model": {
        "en": "This model is now picked in the sidebar: try it on **Draw & explore**.",
        "zh": "侧边栏已经选中这个模型：去 **手写与探索** 试试它吧。",
    },
    "train.compare": {"en": "Compare runs", "zh": "比较训练"},
    "train.compare_help": {
        "en": "Your runs in this session, next to the shipped LeNet-5 (trained 15 epochs "
        "with augmentation). Which settings learn fastest?",
        "zh": "你在本次会话中的训练，与自带的 LeNet-5（带数据增强训练了 15 轮）放在一起比较。哪种设置学得最快？",
    },
    "train.state_queued": {"en": "queued", "zh": "排队中"},
    "train.state_running": {"en": "running", "zh": "训练中"},
    "train.state_finished": {"en": "finished", "zh": "已完成"},
    "train.state_stopped": {"en": "stopped", "zh": "已停止"},
    "train.state_failed": {"en": "failed", "zh": "失败"},
    "train.col_run": {"en": "run", "zh": "训练"},
    "train.col_status": {"en": "status", "zh": "状态"},
    "train.col_settings": {"en": "settings", "zh": "设置"},
    "train.col_epochs": {"en": "epochs", "zh": "轮数"},
    "train.col_seconds": {"en": "time (s)", "zh": "用时（秒）"},
    "train.col_acc": {"en": "test accuracy", "zh": "测试准确率"},
    "train.data_title": {"en": "The MNIST digits are needed first", "zh": "需要先准备 MNIST 数字"},
    "train.data_download": {"en": "Download MNIST (about 12 MB)", "zh": "下载 MNIST（约 12 MB）"},
    "train.data_downloading": {"en": "Downloading MNIST…", "zh": "正在下载 MNIST…"},
    "train.data_done": {"en": "MNIST is ready.", "zh": "MNIST 已准备好。"},
    "error.diverged": {
        "en": "The run failed at step {step}: the learning rate is too high ({lr:g}), so the loss "
        "blew up. Try a learning rate ten times smaller.",
        "zh": "训练在第 {step} 步失败：学习率太高（{lr:g}），损失爆炸了。试试小十倍的学习率。",
    },
    "error.oom": {
        "en": "The GPU ran out of memory. Try a smaller batch than {batch_size}.",
        "zh": "GPU 内存不够了。试试比 {batch_size} 更小的批大小。",
    },
    "error.bad_setting": {
        "en": "{name} = {value} cannot train: use {expected}.",
        "zh": "{name} = {value} 无法训练，请换一个值。",
    },
    "error.device_unavailable": {
        "en": "This machine has no {device} device. Pick another device.",
        "zh": "这台机器没有 {device} 设备。请选择其他设备。",
    },
    "error.device_unknown": {
        "en": "{device} is not a device: use auto, cpu, cuda or mps.",
        "zh": "{device} 不是设备名：请使用 auto、cpu、cuda 或 mps。",
    },
    "error.train_failed": {"en": "The run failed unexpectedly: {reason}", "zh": "训练意外失败：{reason}"},
    "error.too_many_epochs": {
        "en": "{epochs} epochs is more than this server allows: at most {max}.",
        "zh": "{epochs} 轮超过了服务器的上限：最多 {max} 轮。",
    },
    "error.already_running": {
        "en": "You already have a run ({name}) {status}. Stop it or wait for it first.",
        "zh": "你已经有一个训练（{name}）在排队或进行中。请先停止它或等它结束。",
    },
    "error.not_owner": {
        "en": "Only the person who started {name} can stop it.",
        "zh": "只有启动 {name} 的人才能停止它。",
    },
    "error.unknown_run": {"en": "That run is no longer known to the server.", "zh": "服务器上已经没有这个训练了。"},
    "error.queue_full": {
        "en": "The queue is full ({max} runs). Try again in a few minutes.",
        "zh": "队列已满（{max} 个训练）。请过几分钟再试。",
    },
    "error.save_failed": {
        "en": "The model could not be saved ({reason}). Nothing half-written was left behind.",
        "zh": "模型无法保存（{reason}）。没有留下写了一半的文件。",
    },
    "error.cluster_unreachable": {
        "en": "The training cluster ({address}) cannot be reached.",
        "zh": "无法连接训练集群（{address}）。",
    },
    "error.ray_missing": {
        "en": "A training cluster is configured, but Ray is not installed on this server.",
        "zh": "已配置训练集群，但这台服务器没有安装 Ray。",
    },
    "error.worker_lost": {
        "en": "The machine training this run stopped answering (its worker process or node was lost). "
        "Nothing half-written was saved. Start the run again.",
        "zh": "训练这个模型的机器没有响应了（工作进程或节点丢失）。没有保存写了一半的文件。请重新开始训练。",
    },
    "error.oom_node": {
        "en": "The machine training this run ran out of memory. Try a smaller batch.",
        "zh": "训练这个模型的机器内存不够了。试试更小的批大小。",
    },
    "error.cluster_lost": {
        "en": "The training cluster stopped answering during this run. Nothing half-written was saved.",
        "zh": "训练过程中集群没有响应了。没有保存写了一半的文件。",
    },
    "error.run_lost": {
        "en": "This run was lost: the server that started it was restarted.",
        "zh": "这个训练丢失了：启动它的服务器重启了。",
    },
    "train.cluster_fallback": {
        "en": "{reason} Runs train on this server instead, one at a time.",
        "zh": "{reason} 训练改在这台服务器上进行，一次一个。",
    },
    "train.all_runs": {"en": "Every run on this site", "zh": "本站的所有训练"},
    "train.all_runs_help": {
        "en": "Runs started by everyone, on any server of this site. Pick one to watch it or to use its model.",
        "zh": "所有人在本站任一服务器上启动的训练。选择一个来查看它或使用它的模型。",
    },
    "train.watch": {"en": "Watch a run", "zh": "查看一个训练"},
    "train.col_progress": {"en": "progress", "zh": "进度"},
    "error.owner_gone": {
        "en": "This queued run was dropped because nobody watched it for a long while.",
        "zh": "这个排队中的训练因为很久没人查看而被取消了。",
    },
    "error.bad_name": {"en": "{name} cannot be used as a file name.", "zh": "{name} 不能用作文件名。"},
}
