"""Strings of the Class page (pages/class.py): the teacher's projector view and the student's view."""

STRINGS: dict[str, dict[str, str]] = {
    "nav.class": {"en": "Class", "zh": "课堂"},
    "class.title": {"en": "Class mode", "zh": "课堂模式"},
    "class.intro": {
        "en": "A lesson together: the teacher starts a class, everyone joins with the code and draws digits, "
        "and the class's own handwriting comes together on the projector.",
        "zh": "一起上一堂课：老师开始一个课堂，大家用代码加入并手写数字，全班的笔迹汇集在投影上。",
    },
    # Joining
    "class.join.title": {"en": "Join a class", "zh": "加入课堂"},
    "class.join.code": {"en": "Class code", "zh": "课堂代码"},
    "class.join.code_help": {
        "en": "The 6 characters on the projector (or open the link your teacher shared).",
        "zh": "投影上的 6 个字符（也可以打开老师分享的链接）。",
    },
    "class.join.button": {"en": "Join", "zh": "加入"},
    "class.join.no_code": {"en": "Type the class code first.", "zh": "请先输入课堂代码。"},
    "class.name": {"en": "Your nickname (optional)", "zh": "你的昵称（可不填）"},
    "class.name_help": {
        "en": "Shown on the wall next to your digits. No accounts: nothing else about you is stored, "
        "and it is deleted when the class ends.",
        "zh": "会显示在墙上你的数字旁边。无需账号：不会保存你的任何其他信息，课堂结束后昵称也会被删除。",
    },
    "class.anonymous": {"en": "anonymous", "zh": "匿名"},
    # Starting a class (the teacher)
    "class.teach.title": {"en": "Teach a class", "zh": "开始上课"},
    "class.teach.intro": {
        "en": "Start a class and show this page on the projector: students join with the code, the link or the "
        "QR code, and their digits appear here live.",
        "zh": "开始一个课堂，并把这个页面投到屏幕上：学生用代码、链接或二维码加入，他们的数字会实时出现在这里。",
    },
    "class.start": {"en": "Start a class", "zh": "开始一个课堂"},
    "class.code.title": {"en": "Join the class", "zh": "加入课堂"},
    "class.code.code": {"en": "Code: {code}", "zh": "代码：{code}"},
    "class.code.link": {"en": "or open {link}", "zh": "或打开 {link}"},
    "class.code.qr_alt": {"en": "QR code of the join link {link}", "zh": "加入链接 {link} 的二维码"},
    "class.teacher_link.title": {"en": "Your teacher link (keep it private)", "zh": "你的教师链接（请勿分享）"},
    "class.teacher_link.text": {
        "en": "Anyone with this link runs this class. Open it to come back to this view after a reload or on "
        "another device; it is shown only here.",
        "zh": "拿到这个链接的人就能管理这个课堂。刷新页面后或在其他设备上，打开它即可回到这个视图；它只在这里显示。",
    },
    "class.teacher_adopted": {"en": "You are the teacher of class {code}.", "zh": "你是课堂 {code} 的老师。"},
    # The wall
    "class.wall.sent": {"en": "digits sent", "zh": "已发送的数字"},
    "class.wall.members": {"en": "students in", "zh": "位学生已加入"},
    "class.wall.acc_class": {"en": "The model on the class's digits", "zh": "模型在全班数字上的准确率"},
    "class.wall.acc_mnist": {"en": "on MNIST's test digits", "zh": "在 MNIST 测试集上"},
    "class.wall.acc_none": {"en": "no digits yet", "zh": "还没有数字"},
    "class.wall.acc_unknown": {"en": "not recorded", "zh": "未记录"},
    "class.wall.gallery": {"en": "The class's digits, by the digit meant", "zh": "全班的数字（按想写的数字分组）"},
    "class.wall.meant": {"en": "{digit} · {n}", "zh": "{digit} · {n}"},
    "class.wall.row_empty": {"en": "none yet", "zh": "还没有"},
    "class.wall.more": {"en": "and {n} more", "zh": "还有 {n} 个"},
    "class.wall.caption": {"en": "#{id} {name}", "zh": "#{id} {name}"},
    "class.wall.digit_alt": {
        "en": "digit #{id}: meant {label}, read {prediction}",
        "zh": "数字 #{id}：想写 {label}，读成 {prediction}",
    },
    "class.wall.empty": {
        "en": "No digits yet: ask everyone to draw one and press Send.",
        "zh": "还没有数字：请大家写一个数字并点“发送”。",
    },
    "class.wall.fooled": {"en": "Digits that fooled the model", "zh": "骗过模型的数字"},
    "class.wall.fooled_caption": {
        "en": "meant {label}, read {prediction} ({pct})",
        "zh": "想写 {label}，读成 {prediction}（{pct}）",
    },
    "class.wall.fooled_none": {
        "en": "None yet: the model read every digit as meant.",
        "zh": "还没有：模型把每个数字都读对了。",
    },
    "class.wall.confusion": {"en": "Confusion matrix of the class's digits", "zh": "全班数字的混淆矩阵"},
    "class.wall.meant_axis": {"en": "meant", "zh": "想写的"},
    "class.wall.read_axis": {"en": "read by the model", "zh": "模型读成的"},
    "class.wall.who": {"en": "Who is here", "zh": "谁在这里"},
    # The student
    "class.student.in": {"en": "You are in class {code}.", "zh": "你在课堂 {code} 中。"},
    "class.student.draw": {
        "en": "Draw a digit, pick the digit you meant, and send it to the wall.",
        "zh": "写一个数字，选出你想写的数字，然后把它发送到墙上。",
    },
    "class.prompt.shown": {"en": "Your teacher asks", "zh": "老师的要求"},
    "class.label": {"en": "The digit you meant", "zh": "你想写的数字"},
    "class.submit": {"en": "Send", "zh": "发送"},
    "class.clear": {"en": "Clear", "zh": "清除"},
    "class.upload": {
        "en": "Or send a photo of a digit (it is read instead of the drawing)",
        "zh": "或者发送一张数字的照片（会代替画布上的内容被读取）",
    },
    "class.sent": {
        "en": "Sent to the wall as #{id}: you meant {label}, the network read {prediction}.",
        "zh": "已作为 #{id} 发送到墙上：你想写 {label}，网络读成 {prediction}。",
    },
    "class.pick_label": {"en": "Pick the digit you meant first.", "zh": "请先选出你想写的数字。"},
    "class.nothing": {"en": "Draw a digit first.", "zh": "请先写一个数字。"},
    "class.retrying": {"en": "Not sent yet, trying again…", "zh": "还没发出去，正在重试……"},
    "class.read": {"en": "What the network reads", "zh": "网络读到的"},
    "class.read.none": {"en": "Nothing to read yet.", "zh": "还没有可以读的内容。"},
    "class.read.digit": {"en": "It reads {digit} ({pct} sure).", "zh": "它读成 {digit}（把握 {pct}）。"},
    "class.leave": {"en": "Leave the class", "zh": "离开课堂"},
    "class.follow.shown": {"en": "Your teacher invites you to another page.", "zh": "老师邀请你去另一个页面。"},
    "class.follow.go": {"en": "Go there", "zh": "前往"},
    "class.other_pages": {
        "en": "You can use every other page too; come back here to send digits.",
        "zh": "你也可以使用其他所有页面；回到这里来发送数字。",
    },
    # Steering (the teacher)
    "class.steer.title": {"en": "Steer the class", "zh": "引导课堂"},
    "class.prompt.input": {"en": "A prompt on every student's screen", "zh": "显示在每个学生屏幕上的提示"},
    "class.prompt.placeholder": {"en": "Everyone draw a 7", "zh": "大家都写一个 7"},
    "class.prompt.set": {"en": "Show", "zh": "显示"},
    "class.prompt.clear": {"en": "Clear", "zh": "清除"},
    "class.follow.title": {"en": "Follow me", "zh": "跟我来"},
    "class.follow.page": {"en": "Page", "zh": "页面"},
    "class.follow.query": {
        "en": "Setting of the page (optional), e.g. kernel=5&stride=2",
        "zh": "页面的设置（可选），例如 kernel=5&stride=2",
    },
    "class.follow.push": {"en": "Send everyone there", "zh": "让大家都去那里"},
    "class.follow.stop": {"en": "Stop", "zh": "停止"},
    "class.follow.now": {"en": "Students are invited to {link}", "zh": "已邀请学生前往 {link}"},
    "class.quiz.title": {"en": "Quick question", "zh": "快速提问"},
    "class.quiz.text": {"en": "Question", "zh": "问题"},
    "class.quiz.text_placeholder": {
        "en": "What size comes out of C1?",
        "zh": "C1 输出的尺寸是多少？",
    },
    "class.quiz.options": {"en": "Answers, one a line", "zh": "答案，每行一个"},
    "class.quiz.correct": {"en": "The right answer", "zh": "正确答案"},
    "class.quiz.poll": {"en": "none (a poll)", "zh": "无（投票）"},
    "class.quiz.ask": {"en": "Ask", "zh": "提问"},
    "class.quiz.digits": {"en": "Ask “which digit will the network say?”", "zh": "提问“网络会说是哪个数字？”"},
    "class.quiz.digits_text": {
        "en": "Which digit will the network say for digit #{id}?",
        "zh": "对于数字 #{id}，网络会说是哪个数字？",
    },
    "class.quiz.digit_id": {"en": "Digit # on the wall", "zh": "墙上的数字编号"},
    "class.quiz.reveal": {"en": "Reveal the answer", "zh": "揭晓答案"},
    "class.quiz.answered": {"en": "{n} answered", "zh": "{n} 人已回答"},
    "class.quiz.right": {"en": "The answer: {option}", "zh": "答案：{option}"},
    "class.quiz.revealed": {"en": "Revealed", "zh": "已揭晓"},
    "class.quiz.your_answer": {"en": "Your answer", "zh": "你的答案"},
    "class.quiz.recorded": {
        "en": "Answer recorded; you may change it until the reveal.",
        "zh": "答案已记录；揭晓之前可以修改。",
    },
    "class.quiz.need": {
        "en": "A question needs its text and at least two answers.",
        "zh": "问题需要题目和至少两个答案。",
    },
    "class.delete.title": {"en": "Delete a digit", "zh": "删除一个数字"},
    "class.delete.id": {"en": "Digit # (shown under each digit)", "zh": "数字编号（显示在每个数字下方）"},
    "class.delete.button": {"en": "Delete", "zh": "删除"},
    "class.delete.done": {"en": "Digit #{id} deleted.", "zh": "数字 #{id} 已删除。"},
    "class.export.title": {"en": "Take it home", "zh": "带回家"},
    "class.wall.open": {"en": "Trace it", "zh": "追踪它"},
    "class.tune.title": {"en": "Teach it our handwriting", "zh": "教它认我们的字"},
    "class.tune.text": {
        "en": "Fine-tune the current model on the class's digits, with MNIST mixed in so it does not forget. "
        "{pct} of the class's digits are held back: the wall shows the model's accuracy on them before and after.",
        "zh": "用全班的数字微调当前模型，并混入 MNIST，以免它忘记原来学会的。全班数字中的 {pct} 被留作检验："
        "大屏会显示模型在这些数字上微调前后的准确率。",
    },
    "class.tune.start": {"en": "Teach it our handwriting", "zh": "开始教它认我们的字"},
    "class.tune.too_few": {
        "en": "The class has sent {n} digits: fine-tuning needs at least {min}.",
        "zh": "全班已发送 {n} 个数字：微调至少需要 {min} 个。",
    },
    "class.tune.queued": {"en": "Waiting for a free training slot…", "zh": "正在等待空闲的训练位置…"},
    "class.tune.running": {"en": "Learning the class's handwriting: {pct}", "zh": "正在学习全班的笔迹：{pct}"},
    "class.tune.after": {
        "en": "Our held-back digits ({n}), after fine-tuning",
        "zh": "留作检验的全班数字（{n} 个），微调后",
    },
    "class.tune.delta": {"en": "{points} points (before: {before})", "zh": "{points} 个百分点（微调前：{before}）"},
    "class.tune.in_picker": {
        "en": "The new model, {name}, is in everyone's model picker.",
        "zh": "新模型 {name} 已出现在每个人的模型选择框中。",
    },
    "class.tune.use": {"en": "Use the new model", "zh": "使用新模型"},
    "class.export.text": {
        "en": "The class's digits with the digits meant as labels, in MNIST's format.",
        "zh": "全班的数字及其想写的数字（作为标签），MNIST 格式。",
    },
    "class.export.idx": {"en": "Download (MNIST IDX, zip)", "zh": "下载（MNIST IDX，zip）"},
    "class.export.npz": {"en": "Download (.npz)", "zh": "下载（.npz）"},
    "class.end.title": {"en": "End the class", "zh": "结束课堂"},
    "class.end.confirm": {
        "en": "Yes: end it now and delete its digits and nicknames",
        "zh": "是的：现在结束，并删除它的数字和昵称",
    },
    "class.end.button": {"en": "End the class", "zh": "结束课堂"},
    "class.end.done": {
        "en": "The class has ended; its digits and nicknames are deleted.",
        "zh": "课堂已结束；它的数字和昵称已被删除。",
    },
    "class.done": {"en": "Done.", "zh": "完成。"},
}
