"""The page around the HTML report: inline CSS and the document skeleton.

Kept apart from :mod:`mining_licenses.report` so that module holds what the
report says, and this one how it looks. Nothing here refers to anything
outside the file: no fonts, scripts or stylesheets are fetched.
"""

from __future__ import annotations

from string import Template
from typing import Final

CSS: Final = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa;
        --accent: #0b5394; --warn-bg: #fff4d6; --warn-line: #d4a72c; --bad: #b22222; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
             Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 0 28px 48px; }
header.page { padding: 28px 0 8px; border-bottom: 1px solid var(--line); margin-bottom: 8px; }
header.page h1 { margin: 0 0 4px; font-size: 26px; }
header.page p { margin: 0; color: var(--muted); }
nav.toc { display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 10px 0 14px;
          border-bottom: 1px solid var(--line); font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
.banner { margin: 18px 0 6px; padding: 14px 18px; border: 2px solid var(--warn-line);
          background: var(--warn-bg); border-radius: 8px; }
.banner strong { display: block; font-size: 17px; letter-spacing: .02em; }
section { padding: 22px 0 6px; border-bottom: 1px solid var(--line); }
section:last-of-type { border-bottom: 0; }
h2 { font-size: 20px; margin: 0 0 6px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
p.lead { margin: 0 0 12px; color: var(--muted); max-width: 80ch; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
         gap: 12px; margin: 8px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
        background: var(--soft); }
.card .value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums;
               line-height: 1.2; }
.card .label { color: var(--muted); font-size: 13px; }
.card .detail { color: var(--muted); font-size: 12px; margin-top: 2px; }
.card.alert .value { color: var(--bad); }
figure { margin: 10px 0 4px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line);
             border-radius: 6px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(430px, 1fr));
         gap: 8px 28px; align-items: start; }
.scroll { max-height: 460px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
.scroll table { border: 0; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 4px 0 8px;
        border: 1px solid var(--line); }
caption { caption-side: top; text-align: left; color: var(--muted); font-size: 13px;
          padding: 0 0 4px; }
th, td { padding: 5px 9px; border-bottom: 1px solid var(--line); vertical-align: top;
         text-align: left; }
th { background: var(--soft); font-weight: 600; position: sticky; top: 0; z-index: 1; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.na { color: var(--muted); }
td.nowrap { white-space: nowrap; }
td.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
          font-size: 12.5px; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 6px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px;
          margin-right: 6px; vertical-align: -1px; }
footer { color: var(--muted); font-size: 12.5px; padding-top: 16px; }
@media print { .scroll { max-height: none; overflow: visible; } th { position: static; } }
"""

PAGE: Final = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mining-licenses $version">
<title>$title</title>
<style>$css</style>
</head>
<body>
<main>
<header class="page">
<h1>$title</h1>
<p>$subtitle</p>
</header>
$banner
<nav class="toc" aria-label="Sections">$toc</nav>
$sections
<footer>$footer</footer>
</main>
</body>
</html>
""")
