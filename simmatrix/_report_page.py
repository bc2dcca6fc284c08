"""The report page's HTML skeleton, style and script (see :mod:`simmatrix.report`).

The skeleton has no text from the matrix: the script reads the JSON block and fills the
page with ``textContent`` only (never ``innerHTML``), so a class name is always text.
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>simmatrix report</title>
<style>{style}</style>
</head>
<body>
<header><h1 id="title">simmatrix report</h1><p id="source"></p></header>
<main>
<section id="heatmap-section">
<h2>Heatmap</h2>
<p class="hint">Rows are true classes, columns predicted classes. Wheel or drag a box to
zoom, double-click or <button id="reset" type="button">reset</button> to see it all.</p>
<p id="note" class="note" hidden></p>
<div id="plot"><canvas id="heatmap" width="640" height="640"></canvas>
<canvas id="colorbar" width="28" height="640"></canvas>
<div id="scale"><span id="scale-top"></span><span id="scale-bottom">0</span></div></div>
<div id="tooltip" hidden></div>
<dl id="hover"><dt>true class</dt><dd id="hover-true">-</dd>
<dt>predicted class</dt><dd id="hover-pred">-</dd>
<dt>S[true, predicted]</dt><dd id="hover-value">-</dd></dl>
</section>
<section id="search-section">
<h2>Nearest classes</h2>
<label for="search">Class</label> <input id="search" type="search" autocomplete="off"
 placeholder="type a class name, Enter">
<ul id="matches"></ul>
<h3 id="row-title"></h3>
<ol id="row"></ol>
</section>
<section id="validation"><h2>Validation</h2><p id="valid"></p><table id="checks"></table>
<ul id="errors"></ul><ul id="warnings"></ul></section>
<section id="summary"><h2>Summary statistics</h2><table id="stats"></table>
<h3>Off-diagonal values</h3><table id="histogram"></table></section>
<section id="provenance"><h2>Provenance</h2><dl id="meta"></dl></section>
</main>
<script type="application/json" id="simmatrix-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0; } h2 { font-size: 1.15em; margin: 1.2em 0 .4em; }
#source, .hint { color: #555; margin: .2em 0; } .note { background: #fff4d6; padding: .4em; }
#plot { display: flex; gap: 6px; align-items: stretch; }
#heatmap { width: 640px; height: 640px; border: 1px solid #999; cursor: crosshair; }
#colorbar { width: 28px; height: 640px; border: 1px solid #999; }
#scale { display: flex; flex-direction: column; justify-content: space-between; }
#tooltip { position: fixed; pointer-events: none; background: rgba(20,20,20,.88);
  color: #fff; padding: 4px 7px; border-radius: 3px; white-space: pre; font-size: 12px; }
#hover { display: grid; grid-template-columns: max-content auto; gap: 0 1em; }
#hover dt { color: #555; } #hover dd { margin: 0; font-family: monospace; }
#matches button { margin: 2px; } #matches { list-style: none; padding: 0; }
#row li { display: grid; grid-template-columns: 16em 300px 6em; gap: .6em;
  align-items: center; }
#row .bar { background: #3b6fb6; height: .9em; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd;
  padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
.ok { color: #17702b; } .bad { color: #b3261e; font-weight: bold; }
#meta dt { font-weight: bold; margin-top: .4em; }
#meta dd { margin-left: 1em; } pre { margin: 0; white-space: pre-wrap; word-break: break-all; }
"""

SCRIPT = r"""
(function () {
"use strict";
const D = JSON.parse(document.getElementById("simmatrix-data").textContent);
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function bytes(b64) {
  const bin = atob(b64), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}
function num(v) {
  if (typeof v !== "string") return v;
  return v === "NaN" ? NaN : (v === "Infinity" ? Infinity : -Infinity);
}
function fmt(v) {
  if (typeof v === "string") v = num(v);
  if (typeof v !== "number") return String(v);
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
}
function decode(enc) {
  const view = new DataView(bytes(enc.data)), out = new Float64Array(enc.count);
  if (enc.kind === "codebook") {
    const book = enc.book.map(num);
    for (let i = 0; i < enc.count; i++)
      out[i] = book[enc.width === 1 ? view.getUint8(i) : view.getUint16(2 * i, true)];
  } else {
    for (let i = 0; i < enc.count; i++) {
      const q = view.getUint16(2 * i, true);
      out[i] = q === 65535 ? NaN : enc.lo + q * enc.step;
    }
  }
  return out;
}

const N = D.n, names = D.classes, order = D.order, cells = D.cells, aliases = D.aliases;
function nameOf(i) {  // "n01440764 (tench)" where a human name is known
  return aliases && aliases[i] !== null ? names[i] + " (" + aliases[i] + ")" : names[i];
}
const M = cells.size, B = cells.block, V = decode(cells);
document.title = "simmatrix report: " + D.title;
$("title").textContent = D.title;
$("source").textContent = D.source === null ? "" : "from " + D.source;
const notes = D.note ? [D.note] : [];
if (V.some((x) => !Number.isFinite(x))) notes.push("magenta cells are not finite (NaN or ±inf)");
if (notes.length) { $("note").textContent = notes.join("; "); $("note").hidden = false; }

// -- colours: viridis, 9 stops interpolated
const STOPS = [[68,1,84],[71,44,122],[59,81,139],[44,113,142],[33,144,141],[39,173,129],
  [92,200,99],[170,220,50],[253,231,37]];
function colour(t) {
  if (!Number.isFinite(t)) return [255, 0, 255];
  t = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t)), f = t - i, a = STOPS[i], b = STOPS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k])));
}
const vmax = D.vmax > 0 ? D.vmax : 1;
const image = document.createElement("canvas");
image.width = M; image.height = M;
(function paint() {
  const ctx = image.getContext("2d"), img = ctx.createImageData(Math.max(M, 1), Math.max(M, 1));
  for (let i = 0; i < M * M; i++) {
    const c = colour(V[i] / vmax);
    img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  const bar = $("colorbar"), bctx = bar.getContext("2d");
  for (let y = 0; y < bar.height; y++) {
    const c = colour(1 - y / (bar.height - 1));
    bctx.fillStyle = "rgb(" + c.join(",") + ")";
    bctx.fillRect(0, y, bar.width, 1);
  }
  $("scale-top").textContent = fmt(vmax) + (vmax < 1 ? " (largest off-diagonal; diagonal 1)" : "");
})();

// -- the view: a square window [x0, x0 + span) × [y0, y0 + span) of cells
const canvas = $("heatmap"), ctx = canvas.getContext("2d");
const view = { x0: 0, y0: 0, span: M };
let marked = -1, drag = null;
function clampView() {
  view.span = Math.min(M, Math.max(Math.min(M, 2), view.span));
  view.x0 = Math.min(M - view.span, Math.max(0, view.x0));
  view.y0 = Math.min(M - view.span, Math.max(0, view.y0));
}
function draw() {
  const W = canvas.width;
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, W);
  if (M > 0) ctx.drawImage(image, view.x0, view.y0, view.span, view.span, 0, 0, W, W);
  const px = W / view.span;
  if (marked >= 0) {
    ctx.strokeStyle = "#ff3b30"; ctx.lineWidth = 2;
    ctx.strokeRect(0, (marked - view.y0) * px, W, Math.max(px, 2));
  }
  if (drag && drag.moved) {
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
    ctx.strokeRect(drag.x, drag.y, drag.cx - drag.x, drag.cy - drag.y);
    ctx.setLineDash([]);
  }
}
function local(ev) {
  const r = canvas.getBoundingClientRect();
  return [(ev.clientX - r.left) * canvas.width / r.width,
          (ev.clientY - r.top) * canvas.height / r.height];
}
function cellAt(x, y) {
  const px = canvas.width / view.span;
  return [Math.floor(view.y0 + y / px), Math.floor(view.x0 + x / px)];
}
function label(cell) {  // a class, or a block of classes when pooled
  const first = cell * B, last = Math.min(N, first + B) - 1;
  if (B === 1) return nameOf(order[first]);
  return nameOf(order[first]) + " … " + nameOf(order[last]) + " (" + (last - first + 1) +
    " classes)";
}
const tip = $("tooltip");
function hover(ev) {
  const [x, y] = local(ev);
  if (drag) { drag.cx = x; drag.cy = y; drag.moved = drag.moved ||
    Math.abs(x - drag.x) + Math.abs(y - drag.y) > 6; draw(); }
  const [r, c] = cellAt(x, y);
  if (r < 0 || c < 0 || r >= M || c >= M) { tip.hidden = true; return; }
  const t = label(r), p = label(c), v = fmt(V[r * M + c]);
  $("hover-true").textContent = t; $("hover-pred").textContent = p;
  $("hover-value").textContent = v + (B > 1 ? " (block maximum)" : "");
  tip.textContent = "true: " + t + "\npredicted: " + p + "\nS = " + v;
  tip.style.left = (ev.clientX + 14) + "px"; tip.style.top = (ev.clientY + 14) + "px";
  tip.hidden = false;
}
function zoomAt(x, y, factor) {
  const px = canvas.width / view.span, cx = view.x0 + x / px, cy = view.y0 + y / px;
  view.span = view.span / factor; clampView();
  const npx = canvas.width / view.span;
  view.x0 = cx - x / npx; view.y0 = cy - y / npx; clampView(); draw();
}
canvas.addEventListener("mousemove", hover);
canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
canvas.addEventListener("wheel", (ev) => {
  ev.preventDefault();
  const [x, y] = local(ev);
  zoomAt(x, y, ev.deltaY < 0 ? 1.25 : 0.8);
}, { passive: false });
canvas.addEventListener("mousedown", (ev) => {
  const [x, y] = local(ev); drag = { x: x, y: y, cx: x, cy: y, moved: false };
});
window.addEventListener("mouseup", () => {
  if (drag && drag.moved) {
    const px = canvas.width / view.span;
    const side = Math.max(Math.abs(drag.cx - drag.x), Math.abs(drag.cy - drag.y)) / px;
    view.x0 = view.x0 + Math.min(drag.x, drag.cx) / px;
    view.y0 = view.y0 + Math.min(drag.y, drag.cy) / px;
    view.span = Math.max(side, 1); clampView();
  }
  drag = null; draw();
});
function reset() { view.x0 = 0; view.y0 = 0; view.span = M; draw(); }
canvas.addEventListener("dblclick", reset);
$("reset").addEventListener("click", reset);

// -- nearest classes
const K = D.near.k;
const nearCols = new DataView(bytes(D.near.cols)), nearVals = new DataView(bytes(D.near.vals));
const byName = new Map(names.map((c, i) => [c, i]));
const position = new Int32Array(N);
order.forEach((c, p) => { position[c] = p; });
function showRow(i) {
  $("row-title").textContent = "Classes most similar to " + nameOf(i) +
    " (S[" + names[i] + ", predicted], largest first, ties in class order)";
  const list = $("row");
  list.replaceChildren();
  for (let j = 0; j < K; j++) {
    const col = nearCols.getInt32(4 * (i * K + j), true);
    if (col < 0) break;
    const v = nearVals.getFloat32(4 * (i * K + j), true);
    const li = el("li"), bar = el("span", null, "bar");
    bar.style.width = Math.round(300 * Math.min(1, Math.max(0, v))) + "px";
    li.append(el("span", nameOf(col), "name"), bar, el("span", fmt(v), "value"));
    list.append(li);
  }
  if (!list.children.length) list.append(el("li", "(no class above 0: a row of plain " +
    "cross-entropy)"));
  marked = Math.floor(position[i] / B); draw();
}
function norm(t) { return t.toLowerCase().replace(/[_\s]+/g, " ").trim(); }
function search() {
  const q = $("search").value, matches = $("matches");
  matches.replaceChildren();
  if (!q) return;
  let i = byName.has(q) ? byName.get(q) : -1;
  const low = norm(q), found = [];
  const hit = (c) => norm(names[c]).includes(low) || (aliases && aliases[c] !== null &&
    norm(aliases[c]).includes(low));
  const same = (c) => norm(names[c]) === low || (aliases && aliases[c] !== null &&
    norm(aliases[c]) === low);
  for (let c = 0; c < N && found.length < 12; c++) if (hit(c)) found.push(c);
  if (i < 0) {
    const exact = found.filter(same);
    if (exact.length === 1 || found.length === 1) i = exact.length ? exact[0] : found[0];
  }
  if (i >= 0) { showRow(i); return; }
  if (!found.length) { matches.append(el("li", "no class matches " + q)); return; }
  for (const c of found) {
    const b = el("button", nameOf(c)); b.type = "button";
    b.addEventListener("click", () => { $("search").value = names[c]; showRow(c); });
    const li = el("li"); li.append(b); matches.append(li);
  }
}
$("search").addEventListener("input", search);
$("search").addEventListener("keydown", (ev) => { if (ev.key === "Enter") search(); });

// -- validation, statistics, provenance
const val = D.validation;
$("valid").textContent = val.valid ? "valid: meets the SimLoss contract" :
  "INVALID: breaks the SimLoss contract";
$("valid").className = val.valid ? "ok" : "bad";
for (const [what, ok, detail] of D.checks) {
  const tr = el("tr");
  tr.append(el("td", ok ? "yes" : "no", ok ? "ok" : "bad"), el("td", what), el("td", detail));
  $("checks").append(tr);
}
for (const e of val.errors) $("errors").append(el("li", "error: " + e, "bad"));
for (const w of val.warnings) $("warnings").append(el("li", "warning: " + w));
const s = D.summary, v = s.values, mass = s.off_diagonal_mass;
const rows = [["classes", s.shape[0]], ["dtype", s.dtype + (s.sparse ? ", sparse" : "")],
  ["min", fmt(v.min)], ["max", fmt(v.max)], ["mean off-diagonal", fmt(v.mean_off_diagonal)],
  ["zeros off-diagonal", fmt(100 * v.zero_fraction_off_diagonal) + " %"],
  ["symmetric", (s.symmetric ? "yes" : "no") + " (max |S − Sᵀ| " + fmt(s.max_asymmetry) + ")"],
  ["off-diagonal mass per row", "mean " + fmt(mass.mean) + ", max " + fmt(mass.max)],
  ["rows of plain cross-entropy", mass.identity_rows]];
for (const [k, x] of rows) { const tr = el("tr"); tr.append(el("th", k), el("td", x));
  $("stats").append(tr); }
const h = v.histogram_off_diagonal, total = Math.max(1, h.counts.reduce((a, b) => a + b, 0));
h.counts.forEach((c, i) => {
  const tr = el("tr"), bar = el("span", null, "bar");
  bar.style.display = "inline-block"; bar.style.background = "#3b6fb6"; bar.style.height = ".8em";
  bar.style.width = Math.round(300 * c / total) + "px";
  const td = el("td"); td.append(bar);
  tr.append(el("td", "[" + fmt(h.edges[i]) + ", " + fmt(h.edges[i + 1]) +
    (i === h.counts.length - 1 ? "]" : ")")), el("td", c), td);
  $("histogram").append(tr);
});
const LONG = 4000;
for (const [key, x] of Object.entries(D.metadata)) {
  const dd = el("dd");
  if (x !== null && typeof x === "object") {
    let t = JSON.stringify(x, null, 1);
    if (t.length > LONG) t = t.slice(0, LONG) + " … (" + (t.length - LONG) + " more characters)";
    dd.append(el("pre", t));
  } else dd.textContent = String(x);
  $("meta").append(el("dt", key), dd);
}
if (!Object.keys(D.metadata).length) $("meta").append(el("dd", "(none recorded)"));
draw();
window.simmatrixReport = { view: view, size: M, block: B, order: order, classes: names };
document.body.dataset.ready = "1";
})();
"""
