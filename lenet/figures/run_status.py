"""A training run's status in words, in the page's language: where it is (queued, running, finished, stopped,
failed), what it saved, and how long is left. The Train page shows them (jobs.RunView in, text out)."""

from __future__ import annotations

from pathlib import Path

from lenet.i18n import t, t_error


def duration(seconds: float, lang: str) -> str:
    """Seconds, or minutes and seconds, in words."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return t("train.seconds", lang, s=seconds)
    return t("train.minutes", lang, m=seconds // 60, s=seconds % 60)


def _file(path: str | None) -> str:
    return f"`{Path(path).name}`" if path else ""


def status_text(run, lang: str) -> str:
    """One line (markdown) saying where the run (a jobs.RunView, or None) is; in English it holds the status word
    the tests look for."""
    if run is None:
        return t("train.status_none", lang)
    if run.status == "queued":
        return t("train.status_queued", lang, position=run.position)
    if run.status == "running":
        if run.stopping:
            return t("train.status_stopping", lang)
        if not run.total_steps:
            return t("train.status_preparing", lang)
        return t(
            "train.status_running",
            lang,
            device=run.device,
            epoch=run.epoch,
            epochs=run.train_config.epochs,
            step=run.step,
            total=run.total_steps,
        )
    if run.status == "finished":
        return t(
            "train.status_finished",
            lang,
            acc=run.test_acc or 0.0,
            epochs=run.train_config.epochs,
            seconds=(run.ended or 0) - (run.started or 0),
            file=_file(run.checkpoint),
        )
    if run.status == "stopped":
        text = t("train.status_stopped", lang, epoch=run.epoch)
        if run.error is not None:
            return f"{text} {t_error(run.error, lang)}"
        if run.checkpoint:
            return f"{text} {t('train.stopped_saved', lang, acc=run.test_acc or 0.0, file=_file(run.checkpoint))}"
        return f"{text} {t('train.stopped_dropped', lang)}"
    return t("train.status_failed", lang, reason=t_error(run.error, lang) if run.error else "")
