// Staff pages' progressive parts: jump to an XML error's line, add a value to a repeatable DC
// field, uploads in resumable chunks with progress, and a job page that follows its job live.
"use strict";

(function lineLinks() {
  const xml = document.getElementById("xml");
  if (!xml) return;
  for (const link of document.querySelectorAll("a.line-link")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const line = Number(link.dataset.line);
      const lines = xml.value.split("\n");
      const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
      xml.focus();
      xml.setSelectionRange(start, start + (lines[line - 1] || "").length);
      const height = xml.scrollHeight / Math.max(1, lines.length);
      xml.scrollTop = Math.max(0, (line - 3) * height);
    });
  }
})();

(function followJob() {
  const job = document.getElementById("job");
  if (!job || !["queued", "running"].includes(job.dataset.state)) return;
  const cell = (text, href) => {
    const td = document.createElement("td");
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = text;
      td.append(link);
    } else td.textContent = text;
    return td;
  };
  const poll = async () => {
    const answer = await fetch(job.dataset.url, { credentials: "same-origin" });
    if (!answer.ok) return;
    const data = await answer.json();
    const state = document.getElementById("job-state");
    state.textContent = data.state;
    state.className = `state state--${data.state}`;
    document.getElementById("job-waiting").textContent = data.waiting;
    for (const [what, done, total] of [["items", data.items_done, data.items_total], ["pages", data.pages_done, data.pages_total]]) {
      const bar = document.getElementById(`${what}-bar`);
      bar.max = total || 1;
      bar.value = done;
      document.getElementById(`${what}-text`).textContent = `${done} of ${total} done`;
    }
    document.getElementById("job-items").replaceChildren(...data.items.map((item) => {
      const tr = document.createElement("tr");
      const badge = document.createElement("span");
      badge.className = `state state--${item.state}`;
      badge.textContent = item.state;
      const stateCell = cell("");
      stateCell.append(badge);
      const problems = document.createElement("ul");
      problems.append(...item.problems.map((p) => {
        const li = document.createElement("li");
        li.textContent = p.file ? `${p.file}: ${p.reason}` : p.reason;
        return li;
      }));
      const problemCell = cell("");
      problemCell.append(problems);
      const href = item.item_id && item.state === "succeeded" ? `/staff/items/${encodeURIComponent(item.item_id)}` : null;
      tr.append(cell(item.name), stateCell, cell(`${item.pages_done} of ${item.pages_total}`), cell(item.message, href), problemCell);
      return tr;
    }));
    if (data.state === "queued" || data.state === "running") setTimeout(poll, 700);
    else job.dataset.state = data.state;
  };
  setTimeout(poll, 300);
})();

(function uploads() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const csrf = form.dataset.csrf;
  const drop = document.getElementById("drop");
  drop.hidden = false;
  for (const el of document.querySelectorAll(".js-only")) el.hidden = false;
  // Each file by its path inside what was chosen (a folder's structure is kept); a path chosen
  // twice is refused by the server, which names it, so every choice is kept here as it came.
  let chosen = [];
  const add = (files, fromFolder = false) => {
    for (const f of files) chosen.push({ path: f.webkitRelativePath || f.name, file: f, fromFolder });
    drop.textContent = `${chosen.length} file(s) chosen`;
  };
  document.getElementById("folder").addEventListener("change", (e) => { chosen = chosen.filter((c) => !c.fromFolder); add(e.target.files, true); });
  document.getElementById("files").addEventListener("change", (e) => add(e.target.files));
  // A dropped folder: its entries read one level at a time, each file with its path.
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      chosen.push({ path: prefix + file.name, file });
      return;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
    }
  };
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("drop--over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("drop--over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("drop--over");
    const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (entries.length) for (const entry of entries) await walk(entry, "");
    else add(e.dataTransfer.files);
    drop.textContent = `${chosen.length} file(s) chosen`;
  });

  const send = (url, body, onProgress) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => resolve({ status: xhr.status, body: JSON.parse(xhr.responseText || "{}") });
    xhr.onerror = () => reject(new Error("connection lost"));
    xhr.send(body);
  });

  async function upload(base, path, file, chunk, bar, onBytes) {
    const url = (extra) => `${base}/file?name=${encodeURIComponent(path)}${extra}`;
    let offset = 0;
    let failures = 0;
    while (offset < file.size || (file.size === 0 && offset === 0 && failures === 0)) {
      try {
        const piece = file.slice(offset, offset + chunk);
        const answer = await send(url(`&offset=${offset}`), piece, (n) => { bar.value = offset + n; onBytes(offset + n); });
        if (answer.status === 409) { offset = answer.body.size; continue; }
        if (answer.status !== 200) throw Object.assign(new Error(answer.body.error || `error ${answer.status}`), { fatal: true });
        offset = answer.body.size;
        bar.value = offset;
        failures = 0;
        if (file.size === 0) break;
      } catch (error) {
        if (error.fatal || ++failures > 20) throw error;
        await new Promise((r) => setTimeout(r, Math.min(10000, 500 * 2 ** failures)));
        const status = await fetch(url(""), { credentials: "same-origin" }).then((a) => a.json()).catch(() => null);
        if (status) offset = status.size; // resume from what the server has
      }
    }
  }

  const refuse = (problems) => {
    let box = document.getElementById("problems");
    if (!box) {
      box = document.createElement("div");
      box.className = "problems";
      box.id = "problems";
      box.tabIndex = -1;
      box.setAttribute("role", "alert");
      form.before(box);
    }
    const heading = document.createElement("h2");
    heading.textContent = `${problems.length} problem${problems.length === 1 ? "" : "s"}: nothing was uploaded`;
    const list = document.createElement("ul");
    list.append(...problems.map((p) => {
      const li = document.createElement("li");
      const file = document.createElement("strong");
      file.textContent = p.file;
      li.append(file, `: ${p.reason}`);
      return li;
    }));
    box.replaceChildren(heading, list);
    box.focus();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen.length) { drop.textContent = "Choose a folder or files first"; drop.focus(); return; }
    const collection = document.getElementById("collection").value;
    const body = new URLSearchParams({ csrf_token: csrf });
    for (const c of chosen) { body.append("path", c.path); body.append("size", String(c.file.size)); }
    const started = await fetch("/staff/ingest/uploads", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body,
    });
    const answer = await started.json().catch(() => ({ problems: [{ file: "the upload", reason: `refused (${started.status})` }] }));
    if (!started.ok) {
      refuse(answer.problems || [{ file: "the upload", reason: answer.error }]);
      chosen = []; // chosen again once fixed: a browser cannot drop one file of a choice
      for (const input of [document.getElementById("folder"), document.getElementById("files")]) input.value = "";
      drop.textContent = "Fix the files, then choose or drop them again";
      return;
    }
    const { id, chunk } = answer;
    const base = `/staff/ingest/uploads/${id}`;
    const section = document.getElementById("progress");
    section.hidden = false;
    const overall = document.getElementById("overall");
    const total = chosen.reduce((n, c) => n + c.file.size, 0) || 1;
    overall.max = total;
    const done = new Map();
    const list = document.getElementById("file-progress");
    for (const { path, file } of chosen) {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = path;
      const bar = document.createElement("progress");
      bar.max = file.size || 1;
      bar.setAttribute("aria-label", path);
      li.append(label, bar);
      list.append(li);
      try {
        await upload(base, path, file, chunk, bar, (n) => {
          done.set(path, n);
          const sum = [...done.values()].reduce((a, b) => a + b, 0);
          overall.value = sum;
          document.getElementById("overall-text").textContent = `${Math.round((100 * sum) / total)}%`;
        });
      } catch (error) {
        label.textContent = `${path}: ${error.message}`;
        return;
      }
    }
    window.location = `${base}?collection=${encodeURIComponent(collection)}`;
  });
})();
