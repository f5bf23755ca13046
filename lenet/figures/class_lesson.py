"""The lesson a teacher leads, in plain HTML: the class's answers as a histogram on the projector, and the lesson
report as a page to print.

Every answer a student typed and every nickname is escaped (wall.text_html). Callers pass the translated words in.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from lenet.figures.lesson import SUMMARY_CSS
from lenet.figures.theme import MUTED, PRIMARY
from lenet.figures.wall import text_html


def answers_html(rows: Sequence[tuple[str, int, bool]], revealed: bool) -> str:
    """One bar per answer (label, count, whether it is the right one); once revealed, the right one is marked
    and the others greyed. Each bar carries data-answer and data-count, so a test reads the numbers shown."""
    top = max((count for _, count, _ in rows), default=0) or 1
    bars = []
    for label, count, right in rows:
        colour = PRIMARY if not revealed or right else MUTED
        mark = " ✓" if revealed and right else ""
        bars.append(
            f'<div class="lesson-bar" data-answer="{html.escape(label)}" data-count="{int(count)}" '
            'style="display:flex;align-items:center;gap:0.5rem;margin:0.2rem 0">'
            '<div style="width:14rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap">'
            f"{text_html(label)}{mark}</div>"
            f'<div style="flex:1"><div style="width:{100 * count / top:.1f}%;min-width:2px;height:1.4rem;'
            f'background:{colour};border-radius:3px"></div></div>'
            f'<div style="width:2.5rem;text-align:right;font-size:1.2rem">{int(count)}</div></div>'
        )
    return "".join(bars)


def report_page(title: str, lang: str, tables: Sequence[tuple[str, Sequence[str], Sequence[Sequence]]]) -> str:
    """The lesson report to print, as a self-contained HTML file: a title, then (heading, column names, rows)
    tables; every cell is escaped."""
    esc = html.escape
    parts = [f"<h1>{esc(title)}</h1>"]
    for heading, columns, rows in tables:
        head = "<tr>" + "".join(f"<th>{esc(str(c))}</th>" for c in columns) + "</tr>"
        body = "".join("<tr>" + "".join(f"<td>{text_html(cell)}</td>" for cell in row) + "</tr>" for row in rows)
        parts.append(f"<h2>{esc(heading)}</h2><table>{head}{body}</table>")
    return (
        f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{SUMMARY_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )
