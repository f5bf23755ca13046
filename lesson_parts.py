"""The lesson's live parts (issue 30): one small function per part that lenet.lesson.LIVE_PARTS names.

Glue, as ui.py: the Lesson page (/lesson) embeds the part of a step, `LIVE[step.live](step)`, and is their only
caller. The digit the parts work on is the one drawn on step 1 (`lesson_digit`; an MNIST 7 until then) and the
answers are the session's. A lesson led in class mode does not draw the parts on /class: the teacher's panel and
the students' screens link to this page at the step instead (class_lesson.py; docs/ARCHITECTURE.md, the led lesson,
says why).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import surface
import ui
from lenet import checkpoints, data, jobs
from lenet.config import LeNetConfig
from lenet.conv import export
from lenet.conv.arithmetic import stride_fit
from lenet.conv.explain import explain_layer, formula_latex
from lenet.device import DeviceError
from lenet.explain import explain
from lenet.figures import lesson as figures
from lenet.figures import markup, mosaics
from lenet.figures.lab import window_figure
from lenet.lesson import Lesson, Question, Step, answer_text, load_lesson
from lenet.preprocess import canvas_to_input
from lenet.train import TrainConfig, TrainError

BRUSH = 18  # px: the Draw page's default brush
TRAIN_POLL_S = 1.0

CSS = """
<style>
  .lenet-numbers { border-collapse: collapse; margin: 0.25rem 0 0.75rem 0; font-variant-numeric: tabular-nums; }
  .lenet-numbers caption { caption-side: top; text-align: left; font-size: 0.875rem; padding-bottom: 0.25rem; }
  .lenet-numbers td { border: 1px solid #a0a0a0; padding: 0.15rem 0.45rem; text-align: right; }
  .lenet-numbers td.lenet-win { font-weight: 700; outline: 3px solid #ff7f0e; outline-offset: -3px; }
  .lesson-read { font-size: 3.5rem; font-weight: 700; line-height: 1; }
</style>
"""


# --- the student's digit ------------------------------------------------------------------------


def clear_canvas() -> None:
    st.session_state["lesson_canvas_nonce"] = st.session_state.get("lesson_canvas_nonce", 0) + 1
    st.session_state.pop("lesson_digit", None)
    st.session_state.pop("lesson_strokes", None)


def student_digit() -> tuple[np.ndarray, bool]:
    """The digit the live parts work on: the student's (uint8 28x28, MNIST's format) and True, or an MNIST 7."""
    own = st.session_state.get("lesson_digit")
    if own is not None:
        return np.asarray(own), True
    digits, _ = ui.example_digits()
    digit = digits.get(7, next(iter(digits.values())))
    return (np.asarray(digit) * 255).round().astype(np.uint8), False


def picture(png: bytes, caption: str, width: int, pixelated: bool = True) -> None:
    """A picture with its caption, which is also its alternative text (st.image has none)."""
    st.html(markup.image_html(png, width, pixelated=pixelated, alt=caption) + markup.caption(caption))


def digit_caption(own: bool) -> str:
    return ui.tr("lesson.digit.own" if own else "lesson.digit.sample")


def _inspect(image: np.ndarray):
    """The current model's view of a 28x28 uint8 digit (lenet.explain), or None without a model."""
    loaded = ui.current_model()
    return None if loaded is None else explain(loaded[0], data.normalise(image))


def reading_html(insp) -> str:
    """The network's answer, large, its words and its probability bars."""
    return (
        f'<div class="lesson-read">{insp.prediction}</div>'
        + markup.caption(ui.tr("lesson.draw.reads", digit=insp.prediction, p=f"{insp.confidence:.0%}"))
        + markup.probability_bars(insp.probs, insp.prediction, height=120)
    )


# --- the live parts: one function each, named in the lesson file -----------------------------------


def draw_part(step: Step) -> None:
    """The canvas; the network's answer for the drawing, which becomes the lesson's digit."""
    left, right = st.columns([1, 1])
    with left:
        # The Draw page's own drawing surface (surface.py): it reads the drawing live while the pen moves.
        surface.surface(key="lesson_canvas", nonce=st.session_state["lesson_canvas_nonce"], strokes=[], brush=BRUSH)
        st.button(ui.tr("lesson.draw.clear"), key="lesson_clear", icon=":material/delete:", on_click=clear_canvas)
    injected = st.session_state.get("draw_injected_rgba")
    drawing = surface.read_drawing(st.session_state.get("lesson_canvas"))
    if injected is not None:
        rgba, seen = np.asarray(injected), None
    elif drawing.nonce == st.session_state["lesson_canvas_nonce"]:
        rgba, seen = drawing.rgba, drawing.image
        st.session_state["lesson_strokes"] = drawing.strokes  # "watch it learn your digit" replays them
    else:
        rgba, seen = None, None  # from before the last Clear: blank
    prep = surface.browser_input(canvas_to_input(rgba), seen) if rgba is not None else None
    with right:
        if prep is None or prep.empty:
            st.info(ui.tr("lesson.draw.blank"))
            return
        st.session_state["lesson_digit"] = prep.image
        insp = _inspect(prep.image)
        if insp is not None:
            st.html(reading_html(insp))


def architecture_part(step: Step) -> None:
    """LeNet-5's layers, each marked as the feature extractor's or the classifier's."""
    rows = []
    for row in LeNetConfig().table():
        if row.kind == "input":
            part = ""
        else:
            part = ui.tr("lesson.arch.classifier" if row.kind == "fc" else "lesson.arch.features")
        rows.append(
            {
                ui.tr("lesson.arch.layer"): row.name,
                ui.tr("lesson.arch.kind"): ui.tr(f"lesson.arch.kind.{row.kind}"),
                ui.tr("lesson.arch.shape"): " × ".join(str(n) for n in row.output or ()),
                ui.tr("lesson.arch.weights"): f"{row.params:,}",
                ui.tr("lesson.arch.part"): part,
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="lesson_arch")


def filter_part(step: Step) -> None:
    """A photo through a 3x3 filter the student picks, and the filter's nine numbers."""
    names = [name for name in step.args.get("filters", figures.FILTERS) if name in figures.FILTERS]
    labels = ui.option_labels("lesson.filter.", names)
    name = st.radio(ui.tr("lesson.filter.pick"), names, format_func=labels.get, horizontal=True, key="lesson_filter")
    photo = figures.load_photo()
    out = figures.apply_filter(photo, name)
    numbers = figures.filter_numbers(name)
    left, middle, right = st.columns([2, 2, 1.4])
    with left:
        picture(markup.png_bytes((photo * 255).round().astype(np.uint8)), ui.tr("lesson.filter.before"), 360, False)
    with middle:
        picture(markup.png_bytes(out), ui.tr("lesson.filter.after", h=out.shape[0], w=out.shape[1]), 360, False)
    with right:
        st.html(figures.number_grid(numbers, ui.tr("lesson.filter.numbers"), decimals=3 if name == "sepia" else 2))
        note = "lesson.filter.mix" if name == "sepia" else "lesson.filter.slide"
        st.caption(ui.tr(note, h=photo.shape[0], w=photo.shape[1], oh=out.shape[0], ow=out.shape[1]))


def window_part(step: Step) -> None:
    """The sliding window of a conv layer on the student's digit, animated in the browser."""
    image, own = student_digit()
    kernel, stride, padding = step.args.get("kernel", 5), step.args.get("stride", 1), step.args.get("padding", 0)
    report = explain_layer(28, 28, kernel, stride, padding)
    values = image.astype(np.float64) / 255.0
    output = figures.convolve(np.pad(values, padding), figures_kernel(kernel))[::stride, ::stride]
    labels = {key: ui.tr(f"lab.picture.{key}") for key in ("input", "output", "padding", "play", "pause", "position")}
    view = window_figure(report, values, output, labels, colormap=ui.colormap())
    st.caption(digit_caption(own))
    if view is not None:
        st.plotly_chart(view.figure, key="lesson_window")


def figures_kernel(kernel: int) -> np.ndarray:
    """The edge-finding filter of any size K: a K x K window whose numbers sum to 0 (the centre K*K - 1)."""
    numbers = -np.ones((kernel, kernel))
    numbers[kernel // 2, kernel // 2] = kernel * kernel - 1
    return numbers / (kernel * kernel)


def hyperparameters_part(step: Step) -> None:
    """The four settings as controls; the output's shape and the layer's weights."""
    c1, c2, c3, c4 = st.columns(4)
    kernel = c1.select_slider(ui.tr("lesson.hp.kernel"), [1, 3, 5, 7], value=5, key="lesson_hp_kernel")
    depth = c2.select_slider(ui.tr("lesson.hp.depth"), [1, 2, 4, 6, 8, 16, 32, 64], value=6, key="lesson_hp_depth")
    stride = c3.slider(ui.tr("lesson.hp.stride"), 1, 4, 1, key="lesson_hp_stride")
    padding = c4.slider(ui.tr("lesson.hp.padding"), 0, 3, 0, key="lesson_hp_padding")
    report = explain_layer(28, 28, kernel, stride, padding, out_channels=depth)
    with st.container(key="lesson_hp_result"):
        if report.ok:
            c, h, w = report.output
            st.markdown(ui.tr("lesson.hp.result", c=c, h=h, w=w, params=f"{report.params:,}"))
        else:
            st.warning(ui.tr_error(report.error))


def stride_fit_part(step: Step) -> None:
    """(W - K) / S with sliders: a whole number fits; otherwise the columns never seen."""
    c1, c2, c3 = st.columns(3)
    width = c1.slider(ui.tr("lesson.fit.input"), 3, 32, step.args.get("input", 9), key="lesson_fit_input")
    kernel = c2.slider(ui.tr("lesson.fit.kernel"), 1, 7, step.args.get("kernel", 3), key="lesson_fit_kernel")
    stride = c3.slider(ui.tr("lesson.fit.stride"), 1, 5, step.args.get("stride", 2), key="lesson_fit_stride")
    if kernel > width:
        st.warning(ui.tr("lesson.fit.too_big", k=kernel, w=width))
        return
    fit = stride_fit(width, kernel, stride)
    value = (width - kernel) / stride
    text = f"{value:g}"
    with st.container(key="lesson_fit_result"):
        if fit.exact:
            st.success(ui.tr("lesson.fit.fits", w=width, k=kernel, s=stride, v=text, out=fit.output))
        else:
            st.warning(
                ui.tr("lesson.fit.not", w=width, k=kernel, s=stride, v=text, out=fit.output, n=len(fit.uncovered))
            )


def formula_part(step: Step) -> None:
    """The output-size formula with sliders, each number shown where it goes."""
    c1, c2, c3, c4 = st.columns(4)
    width = c1.slider(ui.tr("lesson.fit.input"), 1, 32, step.args.get("input", 28), key="lesson_f_input")
    kernel = c2.slider(ui.tr("lesson.fit.kernel"), 1, 7, step.args.get("kernel", 3), key="lesson_f_kernel")
    stride = c3.slider(ui.tr("lesson.fit.stride"), 1, 4, step.args.get("stride", 1), key="lesson_f_stride")
    padding = c4.slider(ui.tr("lesson.hp.padding"), 0, 3, step.args.get("padding", 0), key="lesson_f_padding")
    report = explain_layer(width, width, kernel, stride, padding)
    with st.container(key="lesson_formula"):
        if report.ok:
            st.latex(formula_latex(report.cols))
            st.markdown(ui.tr("lesson.formula.result", h=report.output[1], w=report.output[2]))
        else:
            st.warning(ui.tr_error(report.error))


def padding_part(step: Step) -> None:
    """One filter on the student's digit with "same" and with "valid" padding, their sizes side by side."""
    image, own = student_digit()
    kernel = step.args.get("kernel", 5)
    values = image.astype(np.float64) / 255.0
    numbers = figures_kernel(kernel)
    st.caption(digit_caption(own))
    columns = st.columns(3)
    with columns[0]:
        picture(markup.png_bytes(image), ui.tr("lesson.pad.input"), 4 * 28)
    for column, mode in zip(columns[1:], ("same", "valid"), strict=True):
        padded = np.pad(values, kernel // 2) if mode == "same" else values
        out = np.abs(figures.convolve(padded, numbers))
        colours = mosaics.colorize(out, ui.colormap(), 0.0, max(float(out.max()), 1e-6))
        with column:  # 4 px a cell: the smaller map is drawn smaller
            picture(
                markup.png_bytes(colours),
                ui.tr(f"lesson.pad.{mode}", h=out.shape[0], w=out.shape[1], k=kernel),
                4 * out.shape[1],
            )


def pooling_part(step: Step) -> None:
    """Max and average pooling (2x2, stride 2) on an edge map of the student's digit, and one patch in numbers."""
    image, own = student_digit()
    feature = np.maximum(figures.convolve(np.pad(image / 255.0, 1), figures_kernel(3)), 0.0)
    st.caption(digit_caption(own))
    columns = st.columns(3)
    pictures = [(feature, "lesson.pool.map")] + [
        (figures.pool(feature, op), f"lesson.pool.{op}") for op in figures.POOLS
    ]
    for column, (values, key) in zip(columns, pictures, strict=True):
        colours = mosaics.colorize(values, ui.colormap(), 0.0, max(float(feature.max()), 1e-6))
        with column:  # every map drawn as wide: a pooled cell is 2 x 2 pixels of the map before
            picture(markup.png_bytes(colours), ui.tr(key, h=values.shape[0], w=values.shape[1]), 4 * 28)
    r, c = figures.busiest_patch(feature)
    patch = feature[r : r + 4, c : c + 4]
    left, middle, right = st.columns(3)
    left.html(figures.number_grid(patch, ui.tr("lesson.pool.patch", r=r + 1, c=c + 1), 2, figures.pool_winners(patch)))
    middle.html(figures.number_grid(figures.pool(patch, "max"), ui.tr("lesson.pool.max_numbers"), 2))
    right.html(figures.number_grid(figures.pool(patch, "avg"), ui.tr("lesson.pool.avg_numbers"), 2))


def network_part(step: Step) -> None:
    """The student's digit through the classifier: the ten logits, then softmax's probabilities."""
    image, own = student_digit()
    insp = _inspect(image)
    if insp is None:
        return
    logits = np.asarray(insp.activations["output"]).ravel()
    left, middle, right = st.columns([1, 3, 3])
    with left:
        picture(markup.png_bytes(image), digit_caption(own), 3 * 28)
    with middle:
        st.html(markup.heading(ui.tr("lesson.net.logits"), 4) + markup.score_bars(logits))
    with right:
        st.html(
            markup.heading(ui.tr("lesson.net.probs"), 4)
            + markup.probability_bars(insp.probs, insp.prediction, height=140)
        )
    st.caption(
        ui.tr("lesson.net.caption", top=f"{logits.max():.1f}", digit=insp.prediction, p=f"{insp.confidence:.1%}")
    )


def code_part(step: Step) -> None:
    """LeNet-5 as the lab exports it (a file that runs on its own), with a download button."""
    source = export.network_source(LeNetConfig())
    st.download_button(
        ui.tr("lesson.code.download"), source, "lenet_network.py", "text/x-python", key="lesson_code_download"
    )
    with st.container(key="lesson_code"):
        # no syntax colours: Streamlit's token colours miss 4.5:1 contrast (axe), and plain text follows the theme
        st.code(source, language=None, wrap_lines=True)


def train_part(step: Step) -> None:
    """A short training run from the lesson, watched live; the shipped model's accuracy beside it.

    The run is the quick classroom recipe (TrainConfig's defaults: one epoch): 98.79 % in 6.2 s on a 2-core
    CPU (`python -m lenet train --json`, 2026-12-07), the tutorial's 98.5 % in two minutes."""
    shipped = ui.shipped_record()
    if shipped is not None and shipped.test_acc is not None:
        st.metric(ui.tr("lesson.train.shipped"), f"{shipped.test_acc:.2%}")
    if not data.is_available():
        st.info(ui.tr("lesson.train.no_data"))
        return
    if st.button(ui.tr("lesson.train.start"), key="lesson_train_start", type="primary"):
        try:
            run = ui.registry().submit(ui.train_owner(), "lesson", LeNetConfig(), TrainConfig())
        except (jobs.JobError, TrainError, DeviceError) as exc:
            st.error(ui.tr_error(exc))
        else:
            st.session_state["lesson_run"] = run.id
    if st.session_state.get("lesson_run"):
        train_status_part()


@st.fragment(run_every=TRAIN_POLL_S)
def train_status_part() -> None:
    """The lesson's run: its state, step and test accuracy so far (polled while the step is shown)."""
    run = ui.registry().get(st.session_state["lesson_run"])
    if run is None:
        return
    with st.container(key="lesson_train_status"):
        state = ui.tr(f"train.state_{run.status}")
        acc = f"{run.evals[-1].test_acc:.1%}" if run.evals else "–"
        st.markdown(ui.tr("lesson.train.status", state=state, step=run.step, total=run.total_steps or 0, acc=acc))
        if run.total_steps:
            st.progress(min(1.0, run.fraction))
        if run.losses:
            st.line_chart(pd.DataFrame({ui.tr("train.loss_axis"): [v for _, v in run.losses]}), height=180)


def feature_maps_part(step: Step) -> None:
    """Every layer's maps of the student's digit, as on the Draw page; then "watch it learn your digit"."""
    image, own = student_digit()
    insp = _inspect(image)
    if insp is None:
        return
    st.caption(digit_caption(own))
    for name, picture in mosaics.layer_images(insp.activations, ui.colormap()).items():
        shape = " × ".join(str(n) for n in np.shape(insp.activations[name]))
        st.html(
            markup.heading(f"{name} · {shape}", 4)
            + markup.image_html(markup.png_bytes(picture), 3 * picture.shape[1], alt=name)
        )
    learn_part()


def learn_part() -> None:
    """Watch it learn your digit: the Draw page's drawing surface with its training scrubber, on a checkpoint
    that kept its history (`history_path`); the student's strokes from step 1 are drawn on it again."""
    path = history_path()
    with st.container(key="lesson_learn"):
        st.markdown(f"**{ui.tr('lesson.learn.title')}**")
        if path is None:
            st.caption(ui.tr("lesson.learn.none"))
            return
        st.caption(ui.tr("lesson.learn.text"))
        strokes = st.session_state.get("lesson_strokes", [])
        nonce = st.session_state.get("lesson_canvas_nonce", 0)
        surface.surface(
            key="lesson_learn_canvas", nonce=nonce, strokes=strokes, brush=BRUSH, model_path=path, history=True
        )


def history_path() -> str | None:
    """A checkpoint that kept its training history, for the scrubber: the lesson's own training run once finished,
    else the sidebar's model when it kept one. None when there is none."""
    candidates = []
    if st.session_state.get("lesson_run"):
        run = ui.registry().get(st.session_state["lesson_run"])
        candidates.append(run.checkpoint if run is not None and run.status == "finished" else None)
    candidates.append(ui.current_model_path())
    for path in candidates:
        try:
            if path and checkpoints.read_history(path) is not None:
                return path
        except checkpoints.CheckpointError:
            continue
    return None


def review_part(step: Step) -> None:
    """The score so far and the one-page summary to print."""
    lesson = load_lesson()
    answers = st.session_state["lesson_answers"]
    right = sum(1 for kept in answers.values() if kept.get("first"))
    with st.container(key="lesson_score"):
        st.metric(ui.tr("lesson.score"), f"{right} / {len(lesson.steps)}")
        st.caption(ui.tr("lesson.score.caption", answered=len(answers), total=len(lesson.steps)))
    image, own = student_digit()
    st.download_button(
        ui.tr("lesson.summary.download"),
        summary_html(lesson, answers, image if own else None),
        "lesson-summary.html",
        "text/html",
        key="lesson_summary",
        icon=":material/print:",
    )


LIVE = {
    "draw": draw_part,
    "architecture": architecture_part,
    "filter": filter_part,
    "window": window_part,
    "hyperparameters": hyperparameters_part,
    "stride_fit": stride_fit_part,
    "formula": formula_part,
    "padding": padding_part,
    "pooling": pooling_part,
    "network": network_part,
    "code": code_part,
    "train": train_part,
    "feature_maps": feature_maps_part,
    "review": review_part,
}


# --- the summary --------------------------------------------------------------------------------


def summary_html(lesson: Lesson, answers: dict, digit: np.ndarray | None) -> str:
    """The one-page summary: the formulas, each question with the student's answer and the right one, the digit."""
    lang = ui.lang()
    rows = []
    for number, step in enumerate(lesson.steps, 1):
        kept = answers.get(step.id)
        given = answer_text(step.question, kept["given"], lang) if kept else "–"
        mark = ("✓" if kept["correct"] else "✗") if kept else ""
        rows.append((str(number), step.title[lang], given, right_answer(step.question, lang), mark))
    right = sum(1 for kept in answers.values() if kept.get("first"))
    labels = {
        key: ui.tr(f"lesson.summary.{key}")
        for key in ("title", "formulas", "answers", "digit", "step", "yours", "right")
    }
    formulas = [ui.tr(f"lesson.formula.{key}") for key in ("size", "fits", "params", "relu", "softmax")]
    png = markup.png_bytes(mosaics.digit_tile(digit, 4)) if digit is not None else None
    return figures.summary_page(
        lesson.title[lang],
        labels,
        formulas,
        rows,
        ui.tr("lesson.score.line", right=right, total=len(lesson.steps)),
        png,
        lang,
    )


def right_answer(question: Question, lang: str) -> str:
    """The right answer as a person reads it."""
    if question.kind == "choice":
        return question.options[question.answer][lang]
    return ui.tr("lesson.no_fit") if question.expected is None else "{}×{}".format(*question.expected)
