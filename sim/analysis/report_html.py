"""The pieces of the HTML report: a page with its style, sections, tables, facts and
figures. Every string is escaped here unless it is `Markup` built by these functions, so a
scenario's name or description is shown as text, never read as HTML.

The page loads nothing: the style is inline, figures are data: URIs, and its
Content-Security-Policy forbids every other source, so a report opened from a mail or a
shared drive looks the same offline and cannot call out.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class Markup:
    """HTML made by this module (already escaped)."""

    html: str


Cell = str | Markup  # text is escaped; Markup is taken as it is


def escape(content: Cell) -> str:
    return content.html if isinstance(content, Markup) else html.escape(content, quote=True)


def join(parts: Iterable[Cell]) -> Markup:
    return Markup("".join(escape(part) for part in parts))


def element(tag: str, *content: Cell, css: str = "", **attributes: str) -> Markup:
    """`<tag class=css ...>content</tag>`; attribute values are escaped."""
    attrs = {"class": css, **attributes}
    spelled = "".join(f' {name.rstrip("_")}="{html.escape(value, quote=True)}"'
                      for name, value in attrs.items() if value)
    return Markup(f"<{tag}{spelled}>{join(content).html}</{tag}>")


def section(title: str, *content: Cell, anchor: str = "") -> Markup:
    return element("section", element("h2", title), *content, id=anchor)


def paragraph(*content: Cell, css: str = "") -> Markup:
    return element("p", *content, css=css)


def facts(pairs: Sequence[tuple[str, Cell]]) -> Markup:
    """A short list of name: value lines (the run's size, seed, window)."""
    return element("dl", *(join([element("dt", name), element("dd", value)])
                           for name, value in pairs), css="facts")


def table(header: Sequence[Cell], rows: Sequence[Sequence[Cell]], *, caption: str = "",
          css: str = "", left: int = 1) -> Markup:
    """A table whose first `left` columns are text (left-aligned), the rest numbers."""
    def cells(row: Sequence[Cell], tag: str) -> Markup:
        return element("tr", *(element(tag, cell, css="" if i < left else "num")
                               for i, cell in enumerate(row)))

    body = [cells(row, "td") for row in rows]
    parts = [element("caption", caption)] if caption else []
    grid = element("table", *parts, element("thead", cells(header, "th")),
                   element("tbody", *body), css=css)
    return element("div", grid, css="scroll")


def details(summary: str, *content: Cell) -> Markup:
    """Content folded away until clicked (long tables)."""
    return element("details", element("summary", summary), *content)


def png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def image(data: bytes, caption: str) -> Markup:
    """A PNG embedded in the page, with its caption."""
    return element("figure", Markup(f'<img src="{png_uri(data)}" alt="{escape(caption)}">'),
                   element("figcaption", caption))


def drawn(figure: Figure, caption: str) -> Markup:
    """A matplotlib figure drawn into the page."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return image(buffer.getvalue(), caption)


def page(title: str, body: Sequence[Cell], footer: Cell) -> str:
    head = (f'<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
            f'content="{POLICY}"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><meta name="referrer" content="no-referrer">'
            f"<title>{escape(title)}</title><style>{STYLE}</style>")
    main = element("main", element("h1", title), *body)
    return (f'<!DOCTYPE html>\n<html lang="en"><head>{head}</head><body>{main.html}'
            f'{element("footer", footer).html}</body></html>\n')


STYLE = """
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec;
  --band: #f5f7fa; --accent: #2f5f8a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
h1 { font-size: 1.7em; margin: 1.2em 0 0.2em; }
h2 { font-size: 1.25em; margin: 2em 0 0.6em; padding-bottom: 0.2em;
  border-bottom: 2px solid var(--line); color: var(--accent); }
h3 { font-size: 1.05em; margin: 1.4em 0 0.4em; }
p.lead { color: var(--muted); margin-top: 0; white-space: pre-wrap; }
p.note { color: var(--muted); font-size: 0.9em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px;
  margin: 0.5em 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
div.scroll { overflow-x: auto; margin: 0.6em 0 1em; }
table { border-collapse: collapse; font-size: 0.92em; }
caption { text-align: left; font-weight: 600; padding: 0 0 6px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fbfcfd; }
td code, p code { font-size: 0.95em; }
.why { display: block; color: var(--muted); font-size: 0.85em; white-space: normal;
  text-align: left; max-width: 34em; }
.ci { display: block; color: var(--muted); font-size: 0.85em; white-space: nowrap; }
th .why { font-weight: normal; }
.sig { font-weight: 700; }
.base { font-weight: 600; white-space: nowrap; }
details { margin: 0.8em 0; }
summary { cursor: pointer; color: var(--accent); }
figure { margin: 1.2em 0; }
figure img { display: block; max-width: min(100%, 820px); height: auto;
  border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.9em; margin-top: 4px; }
footer { margin-top: 3em; padding-top: 1em; padding-bottom: 2em; color: var(--muted);
  font-size: 0.85em; border-top: 1px solid var(--line); }
footer dl.facts { font-size: 1em; }
"""
