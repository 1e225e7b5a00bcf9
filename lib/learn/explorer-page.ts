/**
 * The page of `explorer.ts`: one self-contained HTML file (its style, script and data inline; no network, no
 * external file) that steps through one or more recorded runs.
 *
 * What the page has, top to bottom, left to right (it fits a 1366×768 laptop screen without scrolling the page):
 * - the run (a menu when there are several, as the guided tour's server and clients), its counts, and what was
 *   left out past the turn limit;
 * - the **overview**: one row per socket, one column per turn (`select()` call), as `--timeline` prints it; a
 *   cell reads `R`, `W`, `RW` (the mask), `.` (registered, not ready) or is blank (not registered), and a `•`
 *   when the program did something with that socket in that turn; the columns shown are a window around the
 *   current turn, sized to the screen, with a slider over the whole run;
 * - the **details** of the current turn: the `select()` call (timeout, time taken, ready list), what the program
 *   did, and each ready key's `key.data` afterwards, with what it was before;
 * - a legend naming the course's terms: `EVENT_READ`, `EVENT_WRITE`, `mask`, `key.events`, `key.data`.
 *
 * Keys: ← and → step one turn (anywhere on the page but the slider and the run menu, which have their own),
 * PageUp/PageDown ten, Home/End to the ends; in the overview, ↑ and ↓ pick a socket. Clicking a cell goes to its
 * turn and socket. Letters carry every state, so the page reads without colour.
 * @module
 */
import type { Recording } from "./recording.ts";

/** The whole page for `recordings` (one run, or several to pick from). */
export function explorerPage(recordings: readonly Recording[]): string {
  const title =
    recordings.length === 1
      ? `Event loop of ${recordings[0]?.program ?? ""}`
      : `Event loop of ${recordings.length} runs`;
  // `<` escaped, so no text of the run can close the script element.
  const data = JSON.stringify(recordings).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>${escapeHtml(title)}</h1>
  <p id="run-choice" hidden><label for="run">Program</label> <select id="run"></select></p>
  <p id="summary"></p>
  <p id="omitted" role="note" hidden></p>
</header>
<main>
  <section id="overview" aria-labelledby="overview-title">
    <h2 id="overview-title">Overview: one row per socket, one column per <code>select()</code> call</h2>
    <div class="controls">
      <button type="button" id="prev" aria-label="Previous select() call">◀</button>
      <label for="slider" class="visually-hidden">Turn</label>
      <input type="range" id="slider" min="0" max="0" value="0">
      <button type="button" id="next" aria-label="Next select() call">▶</button>
      <output id="position" for="slider" aria-live="polite"></output>
    </div>
    <div id="grid-box" tabindex="0" role="group" aria-label="Overview grid: ← → step through the calls, ↑ ↓ pick a socket">
      <table id="grid"></table>
      <p id="more-rows" hidden></p>
    </div>
    <p class="keys">Keys: <kbd>←</kbd> <kbd>→</kbd> one call · <kbd>PgUp</kbd> <kbd>PgDn</kbd> ten · <kbd>Home</kbd> <kbd>End</kbd> first, last · in the grid <kbd>↑</kbd> <kbd>↓</kbd> a socket · click a cell.</p>
    <dl id="legend" aria-label="Legend">
      <dt><span class="cell m1">R</span></dt><dd><code>EVENT_READ</code> (1) is in the mask: ready to read (<code>recv</code>, or <code>accept</code> on a listening socket)</dd>
      <dt><span class="cell m2">W</span></dt><dd><code>EVENT_WRITE</code> (2) is in the mask: room to write (<code>send</code>)</dd>
      <dt><span class="cell m3">RW</span></dt><dd>both; <code>mask</code> is <code>ready &amp; key.events</code>, the events the key was registered (or modified) for</dd>
      <dt><span class="cell">.</span></dt><dd>registered, not in this call's ready list; blank: not registered</dd>
      <dt><span class="cell acted">R</span></dt><dd>• the program did something with that socket before the next call</dd>
      <dt><code>key.data</code></dt><dd>what the program gave <code>register()</code>: shown after each turn (the app programs' <code>Message</code>: phase and buffer sizes)</dd>
    </dl>
  </section>
  <section id="detail" aria-labelledby="detail-title">
    <h2 id="detail-title"></h2>
    <div id="detail-body"></div>
  </section>
</main>
<script type="application/json" id="recordings">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = String.raw`
:root { color-scheme: light; --r: #cfe3ff; --w: #ffe2b3; --rw: #e3d2ff; --cur: #1a1a1a; --line: #c8c8c8; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; background: #fff;
  display: flex; flex-direction: column; overflow: hidden; }
header { padding: 6px 14px; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 4px 18px;
  align-items: baseline; }
h1 { font-size: 17px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 6px; }
h3 { font-size: 13px; margin: 12px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: #333; }
header p { margin: 0; }
#omitted { flex-basis: 100%; padding: 2px 8px; border-left: 4px solid #b35c00; background: #fff4e5; }
main { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(0, 1fr) minmax(300px, 40%); }
#overview { padding: 8px 14px; overflow: auto; min-width: 0; }
#detail { padding: 8px 14px; overflow: auto; border-left: 1px solid var(--line); background: #fafafa; }
.controls { display: flex; align-items: center; gap: 8px; margin-bottom: 6px; }
.controls input { flex: 1; min-width: 80px; }
.controls button { font: inherit; padding: 2px 10px; }
#position { min-width: 13em; font-variant-numeric: tabular-nums; }
#grid-box { overflow: hidden; outline-offset: 2px; }
#grid-box:focus-visible { outline: 2px solid #0b57d0; }
table { border-collapse: collapse; font: 13px/1.2 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
th, td { border: 1px solid var(--line); padding: 0; }
th[scope=row] { text-align: left; font-weight: normal; padding: 0 6px; max-width: 21em; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
thead th { font-weight: normal; font-size: 11px; height: 22px; color: #444; }
td, thead th.col { width: 30px; min-width: 30px; height: 24px; text-align: center; cursor: pointer; }
td.off { background: repeating-linear-gradient(45deg, #fff, #fff 3px, #f1f1f1 3px, #f1f1f1 5px); cursor: default; }
.cell { display: inline-block; min-width: 26px; text-align: center; border: 1px solid var(--line);
  font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.m1 { background: var(--r); } .m2 { background: var(--w); } .m3 { background: var(--rw); }
.acted::after { content: "•"; }
.cur { outline: 2px solid var(--cur); outline-offset: -2px; font-weight: bold; }
thead th.cur { text-decoration: underline; }
tr.sel th { font-weight: bold; background: #eef3ff; }
tr.sel th::before { content: "▸ "; }
#more-rows { margin: 4px 0; color: #444; }
.keys { color: #444; margin: 8px 0 4px; }
kbd { border: 1px solid #aaa; border-bottom-width: 2px; border-radius: 3px; padding: 0 4px; font: 12px monospace; }
#legend { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 6px 0 0; font-size: 13px; }
#legend dt { text-align: center; } #legend dd { margin: 0; }
#detail ul, #detail ol { margin: 0; padding-left: 20px; }
#detail li { margin: 2px 0; }
#detail li.mine { background: #eef3ff; }
.op { display: inline-block; min-width: 6.5em; font: bold 12px ui-monospace, monospace; }
.op.error { color: #a00000; }
.text, .bytes { font: 12.5px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.was { color: #555; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 900px) { body { overflow: auto; } main { grid-template-columns: 1fr; }
  #detail { border-left: 0; border-top: 1px solid var(--line); } }
`;

const SCRIPT = String.raw`
(function () {
  "use strict";
  var runs = JSON.parse(document.getElementById("recordings").textContent);
  var MASK = ["0", "R", "W", "RW"];
  var MASK_NAME = ["0 (neither: reported for a hang-up)", "EVENT_READ", "EVENT_WRITE", "EVENT_READ | EVENT_WRITE"];
  var MAX_ROWS = 40;
  var $ = function (id) { return document.getElementById(id); };
  var view = { run: 0, turn: 0, sock: 0 };

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmt(n) { return n.toLocaleString("en-US"); }
  function plural(n, word) { return fmt(n) + " " + word + (n === 1 ? "" : "s"); }
  function timeoutText(t) { return t === null ? "None" : String(Number(t.toFixed(3))); }

  runs.forEach(function (run) {
    run.cells = new Map();
    run.acted = new Set();
    run.before.forEach(function (a) { run.acted.add("0:" + a[0]); });
    var last = {};
    run.beforeData.forEach(function (d) { last[d[0]] = d[1]; });
    run.turns.forEach(function (t, i) {
      var k = i + 1;
      t.ready.forEach(function (r) { run.cells.set(k + ":" + r[0], r[1]); });
      t.actions.forEach(function (a) { run.acted.add(k + ":" + a[0]); });
      t.was = t.data.map(function (d) { var p = last[d[0]]; last[d[0]] = d[1]; return p; });
    });
  });

  var picker = $("run");
  if (runs.length > 1) {
    runs.forEach(function (run, i) { var o = el("option", "", run.program); o.value = String(i); picker.appendChild(o); });
    $("run-choice").hidden = false;
    picker.addEventListener("change", function () { view.run = Number(picker.value); view.turn = 0; view.sock = 0; showRun(); });
  }

  function run() { return runs[view.run]; }
  function lastTurn() { return run().turns.length; }
  function label(s) { var row = run().sockets[s]; return row ? row.label : "socket " + s; }
  function isOpen(row, k) { return row.opened <= k && (row.closed === null || k <= row.closed); }

  function showRun() {
    var r = run();
    var actions = r.before.length;
    r.turns.forEach(function (t) { actions += t.actions.length; });
    var summary = $("summary");
    summary.textContent = plural(r.calls, "select() call") + " · " + plural(r.sockets.length, "socket") + " · " + plural(actions, "action") + " recorded";
    summary.dataset.calls = String(r.calls);
    summary.dataset.turns = String(r.turns.length);
    summary.dataset.sockets = String(r.sockets.length);
    var omitted = $("omitted");
    var left = r.calls - r.turns.length;
    if (left > 0) {
      var kinds = Object.keys(r.omitted).map(function (kind) { return fmt(r.omitted[kind]) + " " + kind; });
      omitted.textContent = "Recorded the first " + plural(r.turns.length, "select() call") + " (the limit, --explore-limit " + r.limit + "). Left out: " + plural(left, "more select() call") + (kinds.length ? ", and after them " + kinds.join(", ") : "") + ".";
      omitted.hidden = false;
    } else omitted.hidden = true;
    var slider = $("slider");
    slider.max = String(lastTurn());
    go(view.turn);
  }

  function go(k) {
    view.turn = Math.max(0, Math.min(lastTurn(), k));
    $("slider").value = String(view.turn);
    var pos = $("position");
    pos.dataset.turn = String(view.turn);
    pos.textContent = view.turn === 0 ? "Before the first select()" : "select() call " + fmt(view.turn) + " of " + fmt(run().calls);
    drawGrid();
    drawDetail();
  }

  function drawGrid() {
    var r = run();
    var box = $("grid-box");
    var cols = Math.max(8, Math.floor((box.clientWidth - 300) / 31));
    var total = lastTurn() + 1;
    var start = Math.max(0, Math.min(view.turn - Math.floor(cols / 2), total - cols));
    var end = Math.min(total - 1, start + cols - 1);
    var rows = [];
    var hidden = 0;
    r.sockets.forEach(function (row, s) {
      if (!(row.opened <= end && (row.closed === null || row.closed >= start))) return;
      if (rows.length < MAX_ROWS || s === view.sock) rows.push(s); else hidden += 1;
    });
    var table = $("grid");
    table.textContent = "";
    var head = el("thead"), hr = el("tr");
    var corner = el("th", "", "select() call");
    corner.scope = "col";
    hr.appendChild(corner);
    for (var k = start; k <= end; k++) {
      var th = el("th", "col" + (k === view.turn ? " cur" : ""), String(k));
      th.scope = "col";
      th.dataset.turn = String(k);
      if (k === 0) th.title = "before the first select()";
      if (k === view.turn) th.setAttribute("aria-current", "step");
      hr.appendChild(th);
    }
    head.appendChild(hr);
    table.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (s) {
      var row = r.sockets[s];
      var tr = el("tr", s === view.sock ? "sel" : "");
      var th = el("th", "", row.label);
      th.scope = "row";
      th.title = row.label;
      tr.appendChild(th);
      for (var k = start; k <= end; k++) {
        var mask = r.cells.get(k + ":" + s);
        var open = isOpen(row, k);
        var td = el("td", "", mask !== undefined ? MASK[mask] : open ? "." : "");
        var cls = [];
        if (mask !== undefined) cls.push("m" + mask);
        else if (!open) cls.push("off");
        if (r.acted.has(k + ":" + s)) cls.push("acted");
        if (k === view.turn) cls.push("cur");
        td.className = cls.join(" ");
        td.dataset.turn = String(k);
        td.dataset.sock = String(s);
        td.title = row.label + ", " + (k === 0 ? "before the first select()" : "select() call " + k) + ": " + (mask !== undefined ? MASK_NAME[mask] : open ? "not ready" : "not registered");
        tr.appendChild(td);
      }
      body.appendChild(tr);
    });
    table.appendChild(body);
    var more = $("more-rows");
    more.hidden = hidden === 0;
    more.textContent = hidden ? plural(hidden, "more socket") + " registered in these calls (not shown)." : "";
  }

  function item(list, s, className, text) {
    var li = el("li", s === view.sock ? "mine" : "");
    li.appendChild(el("span", "op " + className, className));
    li.appendChild(document.createTextNode(label(s) + ": "));
    li.appendChild(el("span", "text", text));
    list.appendChild(li);
  }

  function drawDetail() {
    var r = run();
    var k = view.turn;
    var body = $("detail-body");
    body.textContent = "";
    if (k === 0) {
      $("detail-title").textContent = "Before the first select()";
      body.appendChild(el("p", "", "The program sets up: it registers its sockets with the selector, each with the events it waits for (key.events) and its key.data."));
      body.appendChild(el("h3", "", "What the program did"));
      actionsList(body, r.before);
      body.appendChild(el("h3", "", "key.data after the set-up"));
      dataList(body, r.beforeData, []);
      return;
    }
    var t = r.turns[k - 1];
    $("detail-title").textContent = "select() call " + fmt(t.n) + " of " + fmt(r.calls);
    body.appendChild(el("p", "text", "events = sel.select(timeout=" + timeoutText(t.timeout) + ")  # took " + t.waited.toFixed(3) + " ms; returned at +" + t.at.toFixed(1) + " ms"));
    body.appendChild(el("h3", "", "Ready list: " + plural(t.ready.length, "key")));
    if (t.ready.length === 0) {
      body.appendChild(el("p", "", t.timeout !== null && t.timeout <= 0 ? "Nothing was ready (a poll): select() returned []." : "Nothing was ready before the timeout: select() returned []."));
    } else {
      var ul = el("ul");
      t.ready.forEach(function (pair) {
        var li = el("li", pair[0] === view.sock ? "mine" : "");
        li.appendChild(el("span", "op", MASK[pair[1]]));
        li.appendChild(document.createTextNode(label(pair[0]) + ": mask " + pair[1] + " = " + MASK_NAME[pair[1]]));
        ul.appendChild(li);
      });
      body.appendChild(ul);
    }
    body.appendChild(el("h3", "", "What the program did, before the next call"));
    actionsList(body, t.actions);
    body.appendChild(el("h3", "", "key.data after this turn"));
    dataList(body, t.data, t.was);
  }

  function dataList(body, data, was) {
    if (data.length === 0) { body.appendChild(el("p", "", "No key was ready or registered.")); return; }
    var ul = el("ul");
    data.forEach(function (d, i) {
      var li = el("li", d[0] === view.sock ? "mine" : "");
      li.appendChild(document.createTextNode(label(d[0]) + ": "));
      var before = was[i];
      if (before !== undefined && before !== d[1]) {
        li.appendChild(el("div", "text was", "was: " + before));
        li.appendChild(el("div", "text", "now: " + d[1]));
      } else li.appendChild(el("span", "text", d[1] + (before === undefined ? "" : " (unchanged)")));
      ul.appendChild(li);
    });
    body.appendChild(ul);
  }

  function actionsList(body, actions) {
    if (actions.length === 0) { body.appendChild(el("p", "", "Nothing.")); return; }
    var ol = el("ol");
    actions.forEach(function (a) { item(ol, a[0], a[1], a[2]); });
    body.appendChild(ol);
  }

  function pickRow(step) {
    var rows = Array.prototype.map.call(document.querySelectorAll("#grid tbody td.cur"), function (td) { return Number(td.dataset.sock); });
    if (rows.length === 0) return;
    var i = rows.indexOf(view.sock);
    view.sock = rows[Math.max(0, Math.min(rows.length - 1, i < 0 ? 0 : i + step))];
    go(view.turn);
  }

  $("grid").addEventListener("click", function (event) {
    var td = event.target.closest("td");
    if (!td || td.dataset.turn === undefined) return;
    view.sock = Number(td.dataset.sock);
    go(Number(td.dataset.turn));
  });
  $("prev").addEventListener("click", function () { go(view.turn - 1); });
  $("next").addEventListener("click", function () { go(view.turn + 1); });
  $("slider").addEventListener("input", function () { go(Number($("slider").value)); });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target && (target.id === "slider" || target.tagName === "SELECT")) return;
    var k = view.turn;
    switch (event.key) {
      case "ArrowRight": k += 1; break;
      case "ArrowLeft": k -= 1; break;
      case "PageDown": k += 10; break;
      case "PageUp": k -= 10; break;
      case "Home": k = 0; break;
      case "End": k = lastTurn(); break;
      case "ArrowUp": case "ArrowDown":
        if (target && target.id === "grid-box") { pickRow(event.key === "ArrowUp" ? -1 : 1); event.preventDefault(); }
        return;
      default: return;
    }
    event.preventDefault();
    go(k);
  });
  window.addEventListener("resize", function () { drawGrid(); });
  showRun();
})();
`;
