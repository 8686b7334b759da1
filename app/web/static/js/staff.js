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
  const poll = async () => {
    const answer = await fetch(job.dataset.url, { credentials: "same-origin" });
    if (!answer.ok) return;
    const data = await answer.json();
    const state = document.getElementById("job-state");
    state.textContent = data.state;
    state.className = `state state--${data.state}`;
    const message = document.getElementById("job-message");
    message.textContent = data.message || (data.state === "queued" ? "waiting for its turn" : "working");
    if (data.item_id) {
      const link = document.createElement("a");
      link.href = `/staff/items/${encodeURIComponent(data.item_id)}`;
      link.textContent = data.message;
      message.replaceChildren(link);
    }
    const problems = document.getElementById("job-problems");
    problems.replaceChildren(...data.problems.map((p) => {
      const li = document.createElement("li");
      li.textContent = p.file ? `${p.file}: ${p.reason}` : p.reason;
      return li;
    }));
    if (data.state === "queued" || data.state === "running") setTimeout(poll, 1000);
  };
  setTimeout(poll, 500);
})();

(function uploads() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const csrf = form.dataset.csrf;
  const chosen = new Map();
  const add = (files) => { for (const f of files) chosen.set(f.name, f); };
  document.getElementById("folder").addEventListener("change", (e) => add(e.target.files));
  document.getElementById("files").addEventListener("change", (e) => add(e.target.files));
  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("drop--over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("drop--over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("drop--over");
    add(e.dataTransfer.files);
    drop.textContent = `${chosen.size} file(s) chosen`;
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

  async function upload(base, file, chunk, bar, onBytes) {
    const url = (extra) => `${base}/file?name=${encodeURIComponent(file.name)}${extra}`;
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

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!chosen.size) { drop.textContent = "Choose a folder or files first"; drop.focus(); return; }
    const collection = document.getElementById("collection").value;
    const started = await fetch("/staff/ingest/uploads", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: `csrf_token=${encodeURIComponent(csrf)}`,
    });
    const { id, chunk } = await started.json();
    const base = `/staff/ingest/uploads/${id}`;
    const section = document.getElementById("progress");
    section.hidden = false;
    const overall = document.getElementById("overall");
    const total = [...chosen.values()].reduce((n, f) => n + f.size, 0) || 1;
    overall.max = total;
    const done = new Map();
    const list = document.getElementById("file-progress");
    for (const file of chosen.values()) {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = file.name;
      const bar = document.createElement("progress");
      bar.max = file.size || 1;
      bar.setAttribute("aria-label", file.name);
      li.append(label, bar);
      list.append(li);
      try {
        await upload(base, file, chunk, bar, (n) => {
          done.set(file.name, n);
          const sum = [...done.values()].reduce((a, b) => a + b, 0);
          overall.value = sum;
          document.getElementById("overall-text").textContent = `${Math.round((100 * sum) / total)}%`;
        });
      } catch (error) {
        label.textContent = `${file.name}: ${error.message}`;
        return;
      }
    }
    window.location = `${base}?collection=${encodeURIComponent(collection)}`;
  });
})();
