"""The frame of localhub's read-only web pages: one layout, inline CSS, escaping helpers.

Every title, body, comment and path on a page was written by a user, an App or a model, so each
goes through ``esc`` (or ``text_block``) and only ``http``/``https`` URLs become links. Pages
load nothing from elsewhere, and a Content-Security-Policy forbids scripts outright.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from starlette.responses import HTMLResponse

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_HEX_COLOR = re.compile(r"^[0-9a-fA-F]{6}$")
# GitHub's Markdown hides HTML comments (Apps keep markers in them): so do the pages
_HTML_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;color:#1f2328;max-width:72rem;margin:0 auto;padding:0 1rem}
header{border-bottom:1px solid #d0d7de;padding:.6rem 0;margin-bottom:1rem}
header a{font-weight:600}
a{color:#0969da;text-decoration:none} a:hover{text-decoration:underline}
h1{font-size:1.6rem;font-weight:500;margin:.4rem 0}
.muted{color:#59636e} .num{color:#59636e;font-weight:300}
.state{display:inline-block;border-radius:2em;padding:.1rem .7rem;color:#fff;font-weight:600}
.open{background:#1f883d} .closed{background:#8250df} .merged{background:#8250df}
.success{color:#1a7f37} .failure,.error{color:#d1242f} .pending,.neutral{color:#9a6700}
.box{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0}
.box>.head{background:#f6f8fa;border-bottom:1px solid #d0d7de;padding:.4rem .8rem}
.box>.body{padding:.6rem .8rem}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font:inherit}
.label{display:inline-block;border-radius:2em;padding:0 .6rem;font-size:.8rem;font-weight:600;
 border:1px solid #d0d7de}
nav.tabs a{margin-right:1rem}
table{border-collapse:collapse;width:100%} td,th{padding:.2rem .5rem;text-align:left}
table.list tr+tr td{border-top:1px solid #d0d7de}
table.diff{font:12px/1.45 ui-monospace,monospace}
table.diff td.ln{color:#59636e;text-align:right;width:3rem;user-select:none}
table.diff td.code{white-space:pre-wrap;overflow-wrap:anywhere}
tr.add td{background:#e6ffec} tr.del td{background:#ffebe9} tr.hunk td{background:#ddf4ff}
tr.thread td{background:#fff;padding:.4rem 1rem;font:15px/1.5 system-ui,sans-serif}
.comment{border:1px solid #d0d7de;border-radius:6px;margin:.4rem 0}
.comment>.head{background:#f6f8fa;padding:.2rem .6rem;border-bottom:1px solid #d0d7de}
.comment>.text{padding:.4rem .6rem}
code,.sha{font-family:ui-monospace,monospace;font-size:.9em}
"""


def esc(value: object) -> str:
    """Text made safe for HTML content and quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def href(url: str | None, label: str) -> str:
    """A link when ``url`` is http(s), else the label as plain text (no ``javascript:``)."""
    if url and url.lower().startswith(("http://", "https://", "/")) and not url.startswith("//"):
        return f'<a href="{esc(url)}">{esc(label)}</a>'
    return esc(label)


def path_link(path: str, label: str) -> str:
    """A link to a page of this localhub (``path`` from its root, segments quoted)."""
    return f'<a href="/{esc(quote(path))}">{esc(label)}</a>'


def text_block(body: str | None, empty: str = "No description provided.") -> str:
    """A user's text (Markdown source) shown as written, line breaks kept, HTML comments hidden."""
    body = _HTML_COMMENT.sub("", body or "")
    if not body.strip():
        return f'<p class="muted">{esc(empty)}</p>'
    return f'<pre class="text">{esc(body)}</pre>'


def label_chip(name: str, color: str) -> str:
    """A label as GitHub colours it (an invalid colour falls back to grey)."""
    shade = color if _HEX_COLOR.match(color) else "ededed"
    return f'<span class="label" style="background:#{shade}">{esc(name)}</span>'


def state_badge(state: str) -> str:
    """Open, closed or merged, as a coloured badge."""
    kind = state if state in ("open", "closed", "merged") else "closed"
    return f'<span class="state {kind}">{esc(state.capitalize())}</span>'


def comment_box(anchor: str, author: str, when: str, body: str, note: str = "") -> str:
    """A comment with its author, time and an anchor matching the API's ``html_url``."""
    return (
        f'<div class="comment" id="{esc(anchor)}"><div class="head"><strong>{esc(author)}</strong>'
        f' <span class="muted">{esc(note)} {esc(when)}</span></div>'
        f"{text_block(body, 'No description provided.')}</div>"
    )


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A whole page: the layout around ``body``, with headers forbidding scripts and framing."""
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · localhub</title><style>{_STYLE}</style></head><body>"
        '<header><a href="/">localhub</a> <span class="muted">a local GitHub</span></header>'
        f"<main>{body}</main></body></html>"
    )
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(document, status_code=status, headers=headers)


def not_found_page() -> HTMLResponse:
    """The page for anything missing or not public."""
    return page(
        "Not found", "<h1>404</h1><p>This is not the web page you are looking for.</p>", 404
    )
