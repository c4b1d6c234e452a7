// The Tamter dashboard (README: Dashboard). Plain browser JavaScript, no libraries and no build step:
// it calls the REST API of API.md from the page, with the API key the user pasted (ApiKeys: sent as
// "Authorization: Bearer <key>"), and draws its charts from /metrics (Prometheus text) on <canvas>.
"use strict";

const KEY_STORE = "tamter.apiKey";     // sessionStorage: the key lives as long as the tab, not on disk
const METRICS_EVERY_MS = 2000;
const NAMESPACES_EVERY_MS = 10000;
const CHART_POINTS = 90;               // 3 minutes at one point per 2 s

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ API calls

function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || "";
}

/** Calls the API; resolves to {status, body} (body parsed as JSON, or text for /metrics). */
async function api(method, path, body) {
  const headers = {};
  const key = apiKey();
  if (key) headers["Authorization"] = "Bearer " + key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get("Content-Type") || "").startsWith("application/json")) {
    try { parsed = JSON.parse(text); } catch (e) { parsed = text; }
  }
  if (res.status === 401) needKey(parsed);
  return { status: res.status, body: parsed };
}

/** API.md's error body as one line: "code: message (path)". */
function errorText(r) {
  const e = r.body && r.body.error;
  if (!e) return "HTTP " + r.status;
  return e.code + ": " + e.message + (e.path ? " (path " + e.path + ")" : "");
}

function setStatus(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.className = isError ? "error" : "";
}

function needKey(body) {
  const why = body && body.error ? body.error.message : "unauthorized";
  setStatus("This server requires an API key (" + why + "): paste one above and press \"Use key\".", true);
}

const nsPath = (ns) => "/v1/namespaces/" + encodeURIComponent(ns);

// ------------------------------------------------------------------ namespaces

let lastNamespacesHtml = "";

async function loadNamespaces() {
  const names = [];
  let cursor = "";
  for (let page = 0; page < 10; page++) { // at most 10,000 names; the table is for people, not for export
    const r = await api("GET", "/v1/namespaces?page_size=1000" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    if (r.status !== 200) {
      if (r.status !== 401) setStatus("namespaces: " + errorText(r), true);
      return;
    }
    for (const n of r.body.namespaces || []) names.push(n.name);
    cursor = r.body.next_cursor;
    if (!cursor) break;
  }
  if ($("status").className === "error") setStatus("", false); // the listing worked: an earlier 401 or error is over
  const [metas, cluster] = await Promise.all([
    Promise.all(names.slice(0, 200).map((n) => api("GET", nsPath(n)))),
    api("GET", "/v1/cluster"),
  ]);
  renderNamespaces(names, metas, cluster.status === 200 ? cluster.body : null,
    cluster.status === 403 ? "shard owners: /v1/cluster needs an admin key" : "cluster view unavailable: " + errorText(cluster));
}

/** Owners of each namespace's shards, from /v1/cluster: {ns: {owner label: shard count}}. */
function ownersByNamespace(cluster) {
  const out = {};
  if (!cluster) return out;
  for (const s of cluster.shards || []) {
    // a shard is {namespace, shard, owner (a node id), state}; a state other than serving is shown beside the owner
    const owner = (s.owner == null ? "unowned" : String(s.owner)) + (s.state && s.state !== "serving" ? " (" + s.state + ")" : "");
    const m = out[s.namespace] || (out[s.namespace] = {});
    m[owner] = (m[owner] || 0) + 1;
  }
  return out;
}

function renderNamespaces(names, metas, cluster, noCluster) {
  const owners = ownersByNamespace(cluster);
  if (cluster) {
    const nodes = cluster.nodes || [];
    // a node is {id, address, http, shards}; the one serving this page is the one whose http is this page's origin
    $("cluster-summary").textContent = nodes.length + " server node" + (nodes.length === 1 ? "" : "s") + ": "
      + nodes.map((n) => n.id + (n.address ? " at " + n.address : "") + (n.http === location.origin ? " (this one)" : "") + ": "
        + n.shards + " shards").join(", ");
  } else {
    $("cluster-summary").textContent = noCluster;
  }
  const rows = names.slice(0, metas.length).map((name, i) => {
    const m = metas[i].status === 200 ? metas[i].body : null;
    const own = owners[name] || {};
    const ownText = Object.keys(own).map((o) => o + " ×" + own[o]).join(", ") || "–";
    if (!m) return "<tr data-ns=\"" + esc(name) + "\"><td>" + esc(name) + "</td><td colspan=\"9\" class=\"error\">"
      + esc(errorText(metas[i])) + "</td></tr>";
    const idx = m.index || {};
    return "<tr data-ns=\"" + esc(name) + "\">"
      + "<td>" + esc(name) + "</td>"
      + "<td class=\"num docs\">" + esc(fmtInt(m.approx_row_count)) + "</td>"
      + "<td class=\"num\">" + esc(m.dimensions == null ? "–" : m.dimensions) + "</td>"
      + "<td>" + esc(m.distance_metric || "–") + "</td>"
      + "<td>" + esc(m.embedding_model || "–") + "</td>"
      + "<td class=\"num\">" + esc(m.num_shards) + "</td>"
      + "<td class=\"owners\">" + esc(ownText) + "</td>"
      + "<td><span class=\"badge " + esc(idx.status || "") + "\">" + esc(idx.status || "?") + "</span>"
      + (idx.pending_tasks ? " <span class=\"muted\">" + esc(idx.pending_tasks) + " tasks</span>" : "") + "</td>"
      + "<td class=\"num\">" + esc(fmtBytes(idx.unindexed_bytes)) + "</td>"
      + "<td class=\"muted\">" + esc((m.updated_at || "").replace("T", " ").replace(/\.\d+Z$/, "Z")) + "</td>"
      + "</tr>";
  });
  const html = rows.join("");
  // only touch the table when something changed: the periodic refresh must not reset a hover or a selection
  if (html !== lastNamespacesHtml) {
    lastNamespacesHtml = html;
    $("ns-table").tBodies[0].innerHTML = html;
    markSelected();
  }
  $("ns-empty").textContent = names.length === 0 ? "No namespaces yet: write to one (API.md, Writes) and it appears here." : "";
  const sel = $("q-ns");
  const current = sel.value;
  const options = names.map((n) => "<option>" + esc(n) + "</option>").join("");
  if (sel.dataset.names !== options) {
    sel.dataset.names = options;
    sel.innerHTML = options;
    if (names.includes(current)) sel.value = current;
  }
  markSelected();
}

function markSelected() {
  const ns = $("q-ns").value;
  for (const tr of $("ns-table").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.ns === ns);
}

// ------------------------------------------------------------------ query and recall

/**
 * The search body of the form (API.md, Search), or throws an Error naming the field. vector: the
 * vector if given, else the text embedded; bm25: the text; hybrid: the text's BM25 ranking fused with
 * the vector's (or the embedded text's) ANN ranking.
 */
function searchBody() {
  const mode = $("q-mode").value;
  const text = $("q-text").value.trim();
  const vtext = $("q-vector").value.trim();
  const topK = Number($("q-topk").value);
  if (!(Number.isInteger(topK) && topK >= 1 && topK <= 10000)) throw new Error("top_k: must be an integer in 1..10000");
  const body = { top_k: topK, include_metadata: true };
  if (vtext) {
    let v;
    try { v = JSON.parse(vtext); } catch (e) { throw new Error("vector: not JSON: " + e.message); }
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "number"))
      throw new Error("vector: must be a JSON array of numbers");
    if (mode === "bm25") throw new Error("vector: bm25 ranks the text only; clear the vector or choose vector or hybrid");
    body.vector = v;
  }
  if (text && !(mode === "vector" && body.vector)) body.text = text;
  if (mode !== "vector" && !text) throw new Error("text: " + mode + " needs words to rank by");
  if (!body.vector && !body.text) throw new Error("text: type some words, or give a vector");
  if (mode !== "vector") body.mode = mode; // without a mode: the vector, or the embedded text, by ANN (API.md)
  const filter = filterValue();
  if (filter !== undefined) body.filter = filter;
  return body;
}

function filterValue() {
  const f = $("q-filter").value.trim();
  if (!f) return undefined;
  let v;
  try { v = JSON.parse(f); } catch (e) { throw new Error("filter: not JSON: " + e.message); }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("filter: must be a JSON object");
  return v;
}

async function runQuery(ev) {
  ev.preventDefault();
  const ns = $("q-ns").value;
  $("q-error").textContent = "";
  if (!ns) { $("q-error").textContent = "no namespace to search"; return; }
  let body;
  try { body = searchBody(); } catch (e) { $("q-error").textContent = e.message; return; }
  $("q-run").disabled = true;
  $("q-info").textContent = "searching…";
  try {
    const t0 = performance.now();
    const r = await api("POST", nsPath(ns) + "/search", body);
    const ms = Math.round(performance.now() - t0);
    if (r.status !== 200) {
      $("q-info").textContent = "";
      $("q-error").textContent = errorText(r);
      return;
    }
    renderResults(r.body.matches || []);
    $("q-info").textContent = (r.body.found != null ? r.body.found : (r.body.matches || []).length) + " found, "
      + (r.body.search_time_ms != null ? r.body.search_time_ms + " ms in the server, " : "") + ms + " ms here";
    $("results").dataset.state = "done";
  } catch (e) {
    $("q-info").textContent = "";
    $("q-error").textContent = "request failed: " + e.message;
  } finally {
    $("q-run").disabled = false;
  }
}

function renderResults(matches) {
  $("results").tBodies[0].innerHTML = matches.map((m, i) => {
    const meta = m.metadata === undefined ? "" : JSON.stringify(m.metadata);
    return "<tr data-id=\"" + esc(String(m.id)) + "\">"
      + "<td class=\"num\">" + (i + 1) + "</td>"
      + "<td class=\"id\">" + esc(String(m.id)) + "</td>"
      + "<td class=\"num\">" + esc(fmtNum(m.score)) + "</td>"
      + "<td class=\"num\">" + esc(m.dist == null ? "" : fmtNum(m.dist)) + "</td>"
      + "<td class=\"meta\" title=\"" + esc(meta) + "\">" + esc(meta) + "</td>"
      + "</tr>";
  }).join("");
}

async function runRecall() {
  const ns = $("q-ns").value;
  const out = $("recall-result");
  out.textContent = "";
  out.className = "";
  if (!ns) { out.textContent = "no namespace selected"; out.className = "error"; return; }
  const body = { num: 25, top_k: 10 };
  try {
    const topK = parseInt($("q-topk").value, 10);
    if (topK >= 1 && topK <= 10000) body.top_k = topK;
    const f = filterValue();
    if (f !== undefined) body.filter = f;
  } catch (e) { out.textContent = e.message; out.className = "error"; return; }
  $("recall-run").disabled = true;
  out.textContent = "measuring recall on " + ns + "…";
  try {
    const r = await api("POST", nsPath(ns) + "/_debug/recall", body);
    if (r.status !== 200) { out.textContent = "recall: " + errorText(r); out.className = "error"; return; }
    const b = r.body;
    out.innerHTML = "recall@" + body.top_k + " of " + esc(ns) + ": <span class=\"value\" id=\"recall-value\">"
      + esc(b.avg_recall == null ? "–" : (b.avg_recall * 100).toFixed(1) + " %") + "</span>"
      + " <span class=\"muted\">(" + esc(b.sampled == null ? body.num : b.sampled) + " sampled vectors; ANN found "
      + esc(fmtNum(b.avg_ann_count)) + ", exact " + esc(fmtNum(b.avg_exhaustive_count)) + " on average)</span>";
    out.className = "done";
  } catch (e) {
    out.textContent = "recall request failed: " + e.message;
    out.className = "error";
  } finally {
    $("recall-run").disabled = false;
  }
}

// ------------------------------------------------------------------ metrics

/**
 * Parses Prometheus text format into [{name, labels, value}]. Comment lines are skipped; label
 * values may hold escaped quotes, backslashes and newlines.
 */
function parsePrometheus(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[2])) !== null) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1], labels, value: parseFloat(m[3]) });
  }
  return out;
}

/** Totals over the request timers, without the dashboard's own polling of /metrics. */
function requestTotals(samples) {
  const t = { count: 0, errors: 0, sum: 0, buckets: {} };
  for (const s of samples) {
    if (!s.name.startsWith("tamter_http_requests_seconds") || s.labels.route === "/metrics") continue;
    if (s.name === "tamter_http_requests_seconds_count") {
      t.count += s.value;
      if (+s.labels.status >= 400) t.errors += s.value;
    } else if (s.name === "tamter_http_requests_seconds_sum") {
      t.sum += s.value;
    } else if (s.name === "tamter_http_requests_seconds_bucket") {
      t.buckets[s.labels.le] = (t.buckets[s.labels.le] || 0) + s.value; // cumulative per series, so also summed
    }
  }
  return t;
}

/** The upper bound (seconds) of the bucket holding quantile q of the requests between two scrapes. */
function quantileFromBuckets(prev, cur, q) {
  const les = Object.keys(cur.buckets).filter((le) => le !== "+Inf").map(Number).sort((a, b) => a - b);
  const n = cur.count - prev.count;
  if (n <= 0) return null;
  for (const le of les) {
    const key = Object.keys(cur.buckets).find((k) => Number(k) === le);
    const d = cur.buckets[key] - (prev.buckets[key] || 0);
    if (d >= q * n) return le;
  }
  return les.length ? les[les.length - 1] : null;
}

const series = { rate: [], errors: [], mean: [], p95: [] };
let prevScrape = null;

async function pollMetrics() {
  let r;
  try {
    r = await api("GET", "/metrics");
  } catch (e) {
    $("metrics-status").textContent = "metrics unavailable: " + e.message;
    return;
  }
  if (r.status !== 200) {
    $("metrics-status").textContent = r.status === 401 || r.status === 403
      ? "the charts need an admin key (/metrics is an admin route)" : "metrics: " + errorText(r);
    return;
  }
  const now = Date.now();
  const totals = requestTotals(parsePrometheus(r.body));
  if (prevScrape) {
    const dt = (now - prevScrape.at) / 1000;
    const dn = totals.count - prevScrape.totals.count;
    push(series.rate, now, dn / dt);
    push(series.errors, now, (totals.errors - prevScrape.totals.errors) / dt);
    push(series.mean, now, dn > 0 ? (totals.sum - prevScrape.totals.sum) / dn * 1000 : null);
    const p95 = quantileFromBuckets(prevScrape.totals, totals, 0.95);
    push(series.p95, now, p95 == null ? null : p95 * 1000);
    $("metrics-status").textContent = fmtInt(totals.count) + " requests since start";
  } else {
    $("metrics-status").textContent = "collecting…";
  }
  prevScrape = { at: now, totals };
  drawChart($("chart-rate"), [
    { name: "requests/s", color: "#2f6fde", points: series.rate },
    { name: "errors/s", color: "#c62f2f", points: series.errors },
  ]);
  drawChart($("chart-latency"), [
    { name: "mean ms", color: "#1f8a4c", points: series.mean },
    { name: "p95 ms (bucket bound)", color: "#9a6400", points: series.p95 },
  ]);
  $("metrics").dataset.points = String(series.rate.length);
}

function push(points, t, v) {
  points.push({ t, v });
  if (points.length > CHART_POINTS) points.shift();
}

/** A line chart of several series on a canvas: y from 0 to a round maximum, x the last few minutes. */
function drawChart(canvas, lines) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 48, right = 8, top = 22, bottom = 18;
  const all = lines.flatMap((l) => l.points).filter((p) => p.v != null && isFinite(p.v));
  const max = niceMax(all.reduce((m, p) => Math.max(m, p.v), 0));
  // the x axis spans the points collected so far (at least 20 s), up to the full window
  const tMax = Date.now();
  const oldest = lines.reduce((m, l) => (l.points.length ? Math.min(m, l.points[0].t) : m), tMax);
  const span = Math.min(CHART_POINTS * METRICS_EVERY_MS, Math.max(20000, tMax - oldest));
  const tMin = tMax - span;
  const x = (t) => left + (w - left - right) * (t - tMin) / (tMax - tMin);
  const y = (v) => top + (h - top - bottom) * (1 - v / max);
  g.font = "11px system-ui, sans-serif";
  g.strokeStyle = "#e6e9ef";
  g.fillStyle = "#6b7385";
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4;
    g.beginPath(); g.moveTo(left, y(v)); g.lineTo(w - right, y(v)); g.stroke();
    g.fillText(fmtAxis(v), 4, y(v) + 4);
  }
  g.fillText("−" + (span >= 120000 ? Math.round(span / 60000) + " min" : Math.round(span / 1000) + " s"), left, h - 4);
  g.fillText("now", w - right - 22, h - 4);
  let lx = left;
  for (const l of lines) {
    g.strokeStyle = l.color;
    g.fillStyle = l.color;
    g.lineWidth = 1.8;
    g.beginPath();
    let pen = false;
    for (const p of l.points) {
      if (p.v == null || !isFinite(p.v)) { pen = false; continue; }
      if (pen) g.lineTo(x(p.t), y(p.v)); else g.moveTo(x(p.t), y(p.v));
      pen = true;
    }
    g.stroke();
    const last = l.points.length ? l.points[l.points.length - 1].v : null;
    const label = l.name + (last == null ? "" : " " + fmtAxis(last));
    g.fillRect(lx, 8, 10, 3);
    g.fillText(label, lx + 14, 13);
    lx += g.measureText(label).width + 30;
  }
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// ------------------------------------------------------------------ formatting

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c]));
}
const fmtInt = (n) => (n == null ? "–" : Number(n).toLocaleString("en-US"));
function fmtNum(n) {
  if (n == null || typeof n !== "number") return n == null ? "" : String(n);
  return Math.abs(n) >= 1000 || Number.isInteger(n) ? String(n) : n.toPrecision(4);
}
function fmtAxis(v) {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
function fmtBytes(b) {
  if (b == null) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
  return (i === 0 ? b : b.toFixed(1)) + " " + units[i];
}

// ------------------------------------------------------------------ wiring

function start() {
  $("api-key").value = apiKey();
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const k = $("api-key").value.trim();
    if (k) sessionStorage.setItem(KEY_STORE, k); else sessionStorage.removeItem(KEY_STORE);
    setStatus(k ? "key set for this tab" : "", false);
    loadNamespaces();
    pollMetrics();
  });
  $("key-clear").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORE);
    $("api-key").value = "";
    setStatus("key forgotten", false);
  });
  $("ns-refresh").addEventListener("click", loadNamespaces);
  $("ns-table").addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr[data-ns]");
    if (!tr) return;
    $("q-ns").value = tr.dataset.ns;
    markSelected();
  });
  $("q-ns").addEventListener("change", markSelected);
  $("query-form").addEventListener("submit", runQuery);
  $("query-form").addEventListener("input", () => { $("q-error").textContent = ""; }); // an edit answers the last complaint
  $("recall-run").addEventListener("click", runRecall);
  loadNamespaces();
  pollMetrics();
  setInterval(() => { if (!document.hidden) loadNamespaces(); }, NAMESPACES_EVERY_MS);
  setInterval(() => { if (!document.hidden) pollMetrics(); }, METRICS_EVERY_MS);
}

document.addEventListener("DOMContentLoaded", start);
