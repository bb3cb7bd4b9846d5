// biomedfm web UI: plain JavaScript over the REST API (no build step).
"use strict";

const API = "/api/v1";
const $ = (id) => document.getElementById(id);
const keyInput = $("api-key");
keyInput.value = localStorage.getItem("biomedfm-key") || "";
keyInput.addEventListener("change", () => localStorage.setItem("biomedfm-key", keyInput.value.trim()));

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

function explain(detail) {
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}

async function api(method, path, body, isForm) {
  const headers = {"X-API-Key": keyInput.value.trim()};
  if (body && !isForm) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {method, headers, body: isForm ? body : body && JSON.stringify(body)});
  const text = await response.text();
  let data = text;
  try { data = JSON.parse(text); } catch (_) { /* CSV or plain text */ }
  if (!response.ok) throw new Error(`${response.status}: ${explain(data && data.detail !== undefined ? data.detail : data)}`);
  return data;
}

function setStatus(id, text, isError) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", Boolean(isError));
}

// Follow a job's server-sent events (fetch, so the key travels in a header).
// An upload whose file cannot be used comes back as a job that has already failed.
function refusedOrJob(job) {
  if (job.status === "failed") throw new Error(`the file cannot be used: ${job.error}`);
  return job;
}

async function followJob(jobId, statusId) {
  const response = await fetch(`${API}/jobs/${jobId}/events`, {headers: {"X-API-Key": keyInput.value.trim()}});
  if (!response.ok) throw new Error(`events: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "", job = null;
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    const events = buffer.split("\n\n");
    buffer = events.pop();
    for (const event of events) {
      const line = event.split("\n").find((l) => l.startsWith("data: "));
      if (!line) continue;
      job = JSON.parse(line.slice(6));
      setStatus(statusId, `job ${job.id.slice(0, 8)}: ${job.status} ${Math.round(job.progress * 100)}% — ${job.message}`);
    }
  }
  if (!job || job.status !== "succeeded") throw new Error(job ? `job ${job.status}: ${job.error || ""}` : "no job state received");
  return api("GET", `/jobs/${jobId}/result?format=json`);
}

// Every result can be taken away: the rows as CSV, all of them, in the table's column order.
function saveCsv(rows, columns, name) {
  const cell = (v) => (v === null || v === undefined ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const text = [columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], {type: "text/csv"}));
  link.download = name;
  link.click();
}

// Sortable table: click a header to sort by it (again to reverse).
function renderTable(containerId, rows) {
  const container = $(containerId);
  if (!rows.length) { container.innerHTML = "<p>No rows.</p>"; return; }
  // what tells rows apart comes first: rank, then the row's id and its target
  const leading = ["rank", "id", "target"].filter((c) => c in rows[0]);
  const columns = leading.concat(Object.keys(rows[0]).filter((c) => !leading.includes(c)));
  let sortKey = null, ascending = true, query = "";
  const draw = () => {
    const needle = query.trim().toLowerCase();
    const kept = !needle ? rows : rows.filter((r) => columns.some((c) => String(r[c] ?? "").toLowerCase().includes(needle)));
    const sorted = sortKey === null ? kept : [...kept].sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      const order = (x === null) - (y === null) || (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)));
      return ascending ? order : -order;
    });
    const drawn = "smiles" in rows[0];  // a 2D depiction (server-rendered SVG) beside each SMILES
    const head = (drawn ? "<th>structure</th>" : "") + columns.map((c) => `<th data-key="${esc(c)}">${esc(c)}${c === sortKey ? (ascending ? " ▲" : " ▼") : ""}</th>`).join("");
    const picture = (r, i) => !drawn ? "" : `<td class="mol">${i < 200 && r.smiles ? `<img loading="lazy" alt="structure" src="${API}/depict?size=120&smiles=${encodeURIComponent(r.smiles)}">` : ""}</td>`;
    const body = sorted.slice(0, 2000).map((r, i) => (r.in_domain === false ? '<tr class="ood" title="outside the model\'s domain: interval widened">' : "<tr>") + picture(r, i) + columns.map((c) => {
      const v = r[c];
      const shown = typeof v === "string" && v.length > 40 ? v.slice(0, 37) + "…" : v;
      return `<td title="${esc(v)}">${esc(shown)}</td>`;
    }).join("") + "</tr>").join("");
    container.innerHTML = `<div class="row"><input class="filter" data-testid="${esc(containerId)}-filter" placeholder="filter rows (any column)" value="${esc(query)}"> <span class="count">${kept.length} of ${rows.length} rows</span> <button class="csv" data-testid="${esc(containerId)}-csv">Download CSV (${rows.length} rows)</button></div><table class="results"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
    container.querySelector("button.csv").addEventListener("click", () => saveCsv(rows, columns, `${containerId.replace("-table", "")}.csv`));
    const filter = container.querySelector("input.filter");
    filter.addEventListener("change", () => { query = filter.value; draw(); });
    container.querySelectorAll("th").forEach((th) => th.addEventListener("click", () => {
      ascending = sortKey === th.dataset.key ? !ascending : false;
      sortKey = th.dataset.key;
      draw();
    }));
  };
  draw();
}

// Predictions sorted by value with ±1σ bars, beside a histogram of the values.
function renderPlot(containerId, rows, target) {
  const pred = `pred_${target}`, unc = `unc_${target}`;
  const points = rows.filter((r) => r[pred] !== null && r[pred] !== undefined).map((r) => [r[pred], r[unc] || 0]).sort((a, b) => a[0] - b[0]);
  const container = $(containerId);
  if (!points.length) { container.innerHTML = ""; return; }
  const W = 360, H = 200, P = 30;
  const lo = Math.min(...points.map((p) => p[0] - p[1])), hi = Math.max(...points.map((p) => p[0] + p[1]));
  const span = hi - lo || 1;
  const y = (v) => H - P - ((v - lo) / span) * (H - 2 * P);
  const x = (i) => P + (points.length === 1 ? (W - 2 * P) / 2 : (i / (points.length - 1)) * (W - 2 * P));
  const bars = points.map((p, i) => `<line x1="${x(i)}" x2="${x(i)}" y1="${y(p[0] - p[1])}" y2="${y(p[0] + p[1])}" class="err"/><circle cx="${x(i)}" cy="${y(p[0])}" r="2.5" class="pt"/>`).join("");
  const nBins = 12, counts = new Array(nBins).fill(0);
  const vmin = points[0][0], vspan = points[points.length - 1][0] - vmin || 1;
  points.forEach((p) => counts[Math.min(nBins - 1, Math.floor(((p[0] - vmin) / vspan) * nBins))]++);
  const cmax = Math.max(...counts), bw = (W - 2 * P) / nBins;
  const hist = counts.map((c, i) => `<rect x="${P + i * bw}" y="${H - P - (c / cmax) * (H - 2 * P)}" width="${bw - 2}" height="${(c / cmax) * (H - 2 * P)}" class="bar"/>`).join("");
  container.innerHTML = `
    <figure><svg width="${W}" height="${H}" role="img" aria-label="predictions with uncertainty">
      <text x="${P}" y="14">${esc(pred)} ± 1σ, sorted (n=${points.length})</text>
      <text x="2" y="${y(hi) + 4}" class="tick">${hi.toFixed(1)}</text><text x="2" y="${y(lo)}" class="tick">${lo.toFixed(1)}</text>${bars}</svg></figure>
    <figure><svg width="${W}" height="${H}" role="img" aria-label="distribution of predictions">
      <text x="${P}" y="14">distribution of ${esc(pred)}</text>${hist}
      <text x="${P}" y="${H - 8}" class="tick">${vmin.toFixed(2)}</text><text x="${W - P - 30}" y="${H - 8}" class="tick">${(vmin + vspan).toFixed(2)}</text></svg></figure>`;
}

function parsePairs(text) {
  const lines = text.trim().split(/\r?\n/).filter((l) => l.trim());
  if (!lines.length) throw new Error("paste at least one pair");
  const header = lines[0].split(",").map((h) => h.trim().toLowerCase());
  const hasHeader = header.includes("smiles") && header.includes("sequence");
  const cols = hasHeader ? header : ["smiles", "sequence"];
  return (hasHeader ? lines.slice(1) : lines).map((line, i) => {
    const parts = line.split(",").map((p) => p.trim());
    const pair = {};
    cols.forEach((c, j) => {
      const key = c === "protein" ? "target" : c;  // a "protein" column names the target too
      if (["smiles", "sequence", "id", "target"].includes(key) && parts[j] !== undefined) pair[key] = parts[j];
    });
    if (!pair.smiles || !pair.sequence) throw new Error(`line ${i + (hasHeader ? 2 : 1)}: needs smiles,sequence`);
    return pair;
  });
}

// Pairs unlike anything the model learned from are said so above the table, not only in a column.
function domainNote(rows) {
  const judged = rows.filter((r) => r.in_domain === true || r.in_domain === false);
  const outside = judged.filter((r) => r.in_domain === false).length;
  if (!outside) return "";
  return `<p class="warn" data-testid="domain-warning">${outside} of ${judged.length} pairs are outside this model's applicability domain (target unlike its training targets, or compound unlike its training compounds; see nearest_* columns): their uncertainty is widened and their predictions are a guess.</p>`;
}

function showPredictions(result) {
  renderPlot("predict-plot", result.rows, result.target);
  $("predict-status").insertAdjacentHTML("beforeend", domainNote(result.rows));
  renderTable("predict-table", result.rows);
}

// One click gives a newcomer something to run: the service's shipped examples.
let examples = null;
async function loadExample(fill) {
  examples = examples || await api("GET", "/examples");
  fill(examples);
}
$("predict-example").addEventListener("click", () => loadExample((e) => { $("predict-pairs").value = e.pairs_csv; }));
$("screen-example").addEventListener("click", () => loadExample((e) => {
  $("screen-targets").value = e.screen_fasta;
  $("screen-compounds").value = e.screen_compounds;
  $("screen-top").value = 5;
}));
$("ask-example").addEventListener("click", () => loadExample((e) => { $("ask-question").value = e.question; }));

// Examples that need real measurements come from the server's data folder; say so when absent.
let exampleAssay = null;
$("finetune-example").addEventListener("click", () => loadExample((e) => {
  if (!e.assay_csv) { setStatus("finetune-status", "this server has no data folder (BIOMEDFM_DATA) to take an example assay from", true); return; }
  exampleAssay = new File([e.assay_csv], "example_assay.csv", {type: "text/csv"});
  $("finetune-file").value = "";
  $("finetune-sequence").value = e.assay_target_sequence || "";
  $("finetune-column").value = "pki";
  $("finetune-example-name").textContent = `example: ${e.assay_name}`;
}));
$("finetune-file").addEventListener("change", () => { exampleAssay = null; $("finetune-example-name").textContent = ""; });
$("dynamics-example").addEventListener("click", () => loadExample((e) => {
  if (!e.structure) { setStatus("dynamics-status", "this server has no data folder (BIOMEDFM_DATA) to take an example structure from", true); return; }
  $("dynamics-structure").value = e.structure;
  $("dynamics-format").value = "pdb";
  $("dynamics-example-name").textContent = `example: ${e.structure_name}`;
}));

$("predict-run").addEventListener("click", async () => {
  try {
    const pairs = parsePairs($("predict-pairs").value);
    setStatus("predict-status", `scoring ${pairs.length} pair(s)…`);
    const result = await api("POST", "/affinity/predict", {model: $("predict-model").value, pairs});
    setStatus("predict-status", `${result.rows.length} pair(s) scored with ${result.model}; ${result.n_invalid} invalid`);
    showPredictions(result);
  } catch (error) { setStatus("predict-status", error.message, true); }
});

$("predict-upload").addEventListener("click", async () => {
  try {
    const file = $("predict-file").files[0];
    if (!file) throw new Error("choose a CSV file first");
    const form = new FormData();
    form.append("file", file);
    form.append("model", $("predict-model").value);
    const job = refusedOrJob(await api("POST", "/affinity/upload", form, true));
    showPredictions(await followJob(job.id, "predict-status"));
  } catch (error) { setStatus("predict-status", error.message, true); }
});

function parseFasta(text) {
  const targets = [];
  let current = null;
  text.trim().split(/\r?\n/).forEach((line) => {
    if (line.startsWith(">")) { current = {name: line.slice(1).trim() || `target${targets.length + 1}`, sequence: ""}; targets.push(current); }
    else if (line.trim()) {
      if (!current) { current = {name: "target1", sequence: ""}; targets.push(current); }
      current.sequence += line.trim();
    }
  });
  if (!targets.length) throw new Error("give at least one target sequence");
  return targets;
}

$("screen-run").addEventListener("click", async () => {
  try {
    const targets = parseFasta($("screen-targets").value);
    const compounds = $("screen-compounds").value.trim().split(/\r?\n/).filter((l) => l.trim()).map((line, i) => {
      const [smiles, ...rest] = line.trim().split(/\s+/);
      return {smiles, id: rest.join(" ") || `cpd${i + 1}`};
    });
    if (!compounds.length) throw new Error("give at least one compound");
    const job = await api("POST", "/affinity/screen", {model: $("screen-model").value, targets, compounds, top: Number($("screen-top").value) || 100});
    const result = await followJob(job.id, "screen-status");
    renderTable("screen-table", result.rows);
  } catch (error) { setStatus("screen-status", error.message, true); }
});

function stanceProbability(c) {
  const p = c.stance === "contradicts" ? c.p_contradicts : c.p_supports;
  return p === null || p === undefined ? "" : ` · <span class="p-stance" title="reader: supports ${c.p_supports}, contradicts ${c.p_contradicts}, does not address ${c.p_neutral}">${esc(c.stance)} p=${Number(p).toFixed(2)}</span>`;
}

function citationHtml(c) {
  return `<div class="quote ${esc(c.stance)}" data-testid="quote"><blockquote>${esc(c.quote)}</blockquote>
    <p class="grade"><span class="level level-${c.evidence_level}" title="Oxford CEBM level">level ${c.evidence_level}</span>
    <span class="design">${esc(c.study_design)}</span> · <span class="doc">${esc(c.doc_id)}</span>${c.sample_size ? ` · n=${c.sample_size}` : ""}${stanceProbability(c)}</p></div>`;
}

function renderChain(chain) {
  const claims = chain.claims.map((claim) => {
    const sup = claim.citations.filter((c) => c.stance !== "contradicts");
    const con = claim.citations.filter((c) => c.stance === "contradicts");
    return `<div class="claim"><h4>${esc(claim.text)}</h4><div class="sides">
      <div class="side supports"><h5>Supporting (${sup.length})</h5>${sup.map(citationHtml).join("") || "<p>none</p>"}</div>
      <div class="side contradicts"><h5>Contradicting (${con.length})</h5>${con.map(citationHtml).join("") || "<p>none</p>"}</div>
    </div></div>`;
  }).join("");
  $("ask-chain").innerHTML = `<p class="decision decision-${esc(chain.decision)}" data-testid="decision">${esc(chain.decision)}</p>
    <div class="why" data-testid="why"><h4>Why</h4><p>${esc(chain.summary)}</p>
    ${(chain.notes || []).length ? `<p class="notes">${chain.notes.map(esc).join("<br>")}</p>` : ""}</div>
    ${claims || "<p>No claim survived verification.</p>"}`;
}

$("ask-run").addEventListener("click", async () => {
  try {
    const question = $("ask-question").value.trim();
    if (!question) throw new Error("type a question");
    const contexts = $("ask-contexts").value.split(/\n\s*\n/).map((c) => c.trim()).filter(Boolean);
    const job = await api("POST", "/evidence/ask", contexts.length ? {question, contexts} : {question});
    const result = await followJob(job.id, "ask-status");
    renderChain(result.chain);
  } catch (error) { setStatus("ask-status", error.message, true); }
});

const EFFECT_EXAMPLE = {
  intervention: "Diclofenac 50 mg",
  comparator: "Placebo",
  outcome: "Formation of codeine-6-glucuronide",
  text: "ABSTRACT.BACKGROUND:\nWe aimed to investigate whether diclofenac inhibits glucuronidation of codeine in vivo in healthy volunteers.\n\n" +
    "ABSTRACT.METHODS:\nIn a randomised, placebo-controlled, double-blind, cross-over study, 12 healthy volunteers received 100 mg codeine phosphate plus 50 mg diclofenac sodium or codeine phosphate plus placebo.\n\n" +
    "ABSTRACT.RESULTS:\nA single dose of diclofenac did not alter the formation of codeine-6-glucuronide in healthy volunteers. Metabolic clearance of codeine to morphine was not affected by diclofenac. Both treatments were well tolerated.\n",
};

$("effect-example").addEventListener("click", () => {
  for (const field of ["intervention", "comparator", "outcome", "text"]) $(`effect-${field}`).value = EFFECT_EXAMPLE[field];
});

$("effect-file").addEventListener("change", async () => {
  const file = $("effect-file").files[0];
  if (file) $("effect-text").value = await file.text();
});

function renderEffect(result, text) {
  const before = text.slice(Math.max(0, result.start - 400), result.start);
  const after = text.slice(result.end, result.end + 400);
  const label = {increased: "increased", decreased: "decreased", no_difference: "no difference"}[result.effect];
  $("effect-result").innerHTML = `<p class="decision effect-${esc(result.effect)}" data-testid="effect-label">${esc(label)}</p>
    <p>probability ${result.probability.toFixed(2)} (increased ${result.p_increased.toFixed(2)}, decreased ${result.p_decreased.toFixed(2)}, no difference ${result.p_no_difference.toFixed(2)}); the quote reports this comparison with probability ${result.p_reported.toFixed(2)}; characters ${result.start}–${result.end}</p>
    <blockquote class="context">…${esc(before)}<mark data-testid="effect-quote">${esc(result.quote)}</mark>${esc(after)}…</blockquote>`;
}

$("effect-run").addEventListener("click", async () => {
  try {
    const body = {};
    for (const field of ["intervention", "comparator", "outcome", "text"]) {
      body[field] = $(`effect-${field}`).value;
      if (!body[field].trim()) throw new Error(`give the ${field}`);
    }
    setStatus("effect-status", "reading the report…");
    const result = await api("POST", "/evidence/effect", body);
    setStatus("effect-status", "done");
    renderEffect(result, body.text);
  } catch (error) { setStatus("effect-status", error.message, true); }
});

function renderFinetune(result) {
  const skipped = result.skipped.length ? `<p class="warn">${result.skipped.length} row(s) left out: ${result.skipped.slice(0, 5).map((s) => `line ${s.line}: ${esc(s.error)}`).join("; ")}</p>` : "";
  $("finetune-result").innerHTML = `<p data-testid="finetune-model">Model <b>${esc(result.model)}</b> (from ${esc(result.base)}) learned ${result.compounds} compounds in ${result.seconds} s:
    out-of-fold RMSE <b>${result.oof_rmse.toFixed(3)}</b> ${esc(result.target)}, 90% intervals hold ${(result.coverage90 * 100).toFixed(1)}% of the held-out values.</p>${skipped}
    ${result.lite ? `<p data-testid="finetune-lite-model">Lite student <b>${esc(result.lite.model)}</b>: out-of-fold RMSE <b>${result.lite.oof_rmse.toFixed(3)}</b>, 90% intervals hold ${(result.lite.coverage90 * 100).toFixed(1)}%; use it to screen.</p>` : ""}
    <button id="finetune-use" data-testid="finetune-use">Predict with ${esc(result.model)}</button>`;
  $("finetune-use").addEventListener("click", () => {
    document.querySelector('.tab[data-tab="predict"]').click();
    $("predict-model").value = result.model;
  });
}

$("finetune-run").addEventListener("click", async () => {
  try {
    const file = $("finetune-file").files[0] || exampleAssay;
    if (!file) throw new Error("choose a CSV file (or load the example) first");
    const form = new FormData();
    form.append("file", file);
    form.append("base", $("finetune-base").value);
    form.append("epochs", $("finetune-epochs").value || "40");
    if ($("finetune-lite").checked) form.append("lite", "true");
    if ($("finetune-column").value.trim()) form.append("target_column", $("finetune-column").value.trim());
    const sequence = $("finetune-sequence").value.replace(/\s+/g, "");
    if (sequence) form.append("target_sequence", sequence);
    setStatus("finetune-status", "checking the assay…");
    const job = refusedOrJob(await api("POST", "/affinity/finetune", form, true));
    const result = await followJob(job.id, "finetune-status");
    renderFinetune(result);
    await loadModels();
    if (sequence) {  // so Predict can be tried at once on the assay's own target
      $("predict-pairs").value = "smiles,sequence\n" + ["CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"].map((s) => `${s},${sequence}`).join("\n");
    }
  } catch (error) { setStatus("finetune-status", error.message, true); }
});

$("dynamics-file").addEventListener("change", async () => {
  const file = $("dynamics-file").files[0];
  if (!file) return;
  $("dynamics-structure").value = await file.text();
  $("dynamics-format").value = /\.cif$/i.test(file.name) ? "cif" : "pdb";
});

// Flexibility along the chain: one line per chain, residues on x.
function renderProfile(rows) {
  const W = 720, H = 200, P = 34;
  const values = rows.map((r) => r.pred_rmsf_angstrom);
  const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
  const x = (i) => P + (rows.length === 1 ? 0 : (i / (rows.length - 1)) * (W - 2 * P));
  const y = (v) => H - P - ((v - lo) / span) * (H - 2 * P);
  const path = rows.map((r, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(r.pred_rmsf_angstrom).toFixed(1)}`).join("");
  $("dynamics-plot").innerHTML = `<figure><svg width="${W}" height="${H}" role="img" aria-label="predicted RMSF per residue">
    <text x="${P}" y="14">predicted RMSF (Å) per residue, ${rows.length} residues</text>
    <path d="${path}" class="profile" fill="none"/>
    <text x="2" y="${y(hi) + 4}" class="tick">${hi.toFixed(2)}</text><text x="2" y="${y(lo)}" class="tick">${lo.toFixed(2)}</text>
    <text x="${P}" y="${H - 8}" class="tick">${esc(rows[0].chain)}${rows[0].resnum}</text><text x="${W - P - 40}" y="${H - 8}" class="tick">${esc(rows[rows.length - 1].chain)}${rows[rows.length - 1].resnum}</text></svg></figure>`;
}

$("dynamics-run").addEventListener("click", async () => {
  try {
    const structure = $("dynamics-structure").value;
    if (!structure.trim()) throw new Error("paste a structure, upload one, or load the example");
    const task = $("dynamics-task").value;
    const job = await api("POST", "/dynamics", {structure, format: $("dynamics-format").value, task});
    const result = await followJob(job.id, "dynamics-status");
    if (result.task === "flexibility") {
      renderProfile(result.rows);
      renderTable("dynamics-table", result.rows);
    } else {
      $("dynamics-plot").innerHTML = `<button data-testid="dynamics-mmcif">Download ensemble (${result.conformers} conformers, mmCIF)</button>`;
      $("dynamics-plot").querySelector("button").addEventListener("click", () => {
        const link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([result.mmcif], {type: "chemical/x-mmcif"}));
        link.download = "ensemble.cif";
        link.click();
      });
      renderTable("dynamics-table", result.states);
    }
  } catch (error) { setStatus("dynamics-status", error.message, true); }
});

async function download(job, format) {
  const data = await api("GET", `/jobs/${job}/result?format=${format}`);
  const blob = new Blob([format === "csv" ? data : JSON.stringify(data, null, 2)], {type: format === "csv" ? "text/csv" : "application/json"});
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${job}.${format}`;
  link.click();
}

async function loadJobs() {
  try {
    const {jobs} = await api("GET", "/jobs?limit=100");
    const rows = jobs.map((j) => `<tr data-job="${esc(j.id)}"><td>${esc(j.id.slice(0, 8))}</td><td>${esc(j.kind)}</td>
      <td class="st-${esc(j.status)}">${esc(j.status)}</td><td>${Math.round(j.progress * 100)}%</td>
      <td>${new Date(j.created_at * 1000).toLocaleString()}</td><td>${esc(j.error || j.message)}</td><td>
      ${j.status === "succeeded" ? `<button data-dl="json">JSON</button>${["affinity-predict", "affinity-screen", "dynamics"].includes(j.kind) ? '<button data-dl="csv">CSV</button>' : ""}` : ""}
      ${["queued", "running"].includes(j.status) ? '<button data-cancel="1">Cancel</button>' : ""}</td></tr>`).join("");
    $("jobs-table").innerHTML = `<table class="results"><thead><tr><th>id</th><th>kind</th><th>status</th><th>progress</th><th>created</th><th>message</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
    $("jobs-table").querySelectorAll("button").forEach((b) => b.addEventListener("click", async () => {
      const job = b.closest("tr").dataset.job;
      if (b.dataset.cancel) { await api("POST", `/jobs/${job}/cancel`); loadJobs(); } else { download(job, b.dataset.dl); }
    }));
  } catch (error) { $("jobs-table").textContent = error.message; }
}
$("jobs-refresh").addEventListener("click", loadJobs);

document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
  document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
  document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("hidden", p.id !== `tab-${tab.dataset.tab}`));
  if (tab.dataset.tab === "jobs") loadJobs();
}));

// Shipped and fine-tuned models in every model list (the selection is kept).
async function loadModels() {
  const {models, cards, finetuned} = await api("GET", "/models");
  const options = models.map((m) => [m.name, `${m.name} ${m.version} (${m.target})`])
    .concat((finetuned || []).map((m) => [m.name, `${m.name} fine-tuned from ${m.base} (${m.target}, ${m.compounds} compounds)`]));
  document.querySelectorAll(".model-select").forEach((select) => {
    const kept = select.value || "davis-lite";
    select.innerHTML = options.map(([name, label]) => `<option value="${esc(name)}"${name === kept ? " selected" : ""}>${esc(label)}</option>`).join("");
  });
  return cards;
}

(async () => {
  try {
    const health = await api("GET", "/health");
    $("health").textContent = `service ${health.version} · queue ${health.queue} · ${health.evidence_documents} evidence documents`;
    const cards = await loadModels();
    $("models-cards").innerHTML = cards.map((c) => `<details class="card" data-testid="model-card"><summary><b>${esc(c.kind)} · ${esc(c.name)}</b> ${esc(c.version)} · ${c.size_mb} MB — ${esc(c.summary)}</summary><pre class="card-text">${esc(c.card)}</pre></details>`).join("");
  } catch (error) { $("health").textContent = `service unreachable: ${error.message}`; }
})();
