// pathprobe ui: the live parts of the page (progress while a check runs, the answer when it ends).
// Everything also works without this script: forms post and the page reloads itself while a check runs.
// Text from the server is set with textContent; only the answer's HTML (escaped by the server) is inserted.
"use strict";

(function () {
  const progress = document.getElementById("progress");
  if (!progress) return;
  const paths = document.getElementById("paths");
  const status = document.getElementById("progress-status");
  const log = document.getElementById("log");
  const result = document.getElementById("result");
  const buttons = () => document.querySelectorAll("#check-button, #lab-button");
  let source = null;

  function word(key, values) {
    let text = progress.dataset[key] || "";
    for (const [k, v] of Object.entries(values || {})) text = text.split("{" + k + "}").join(String(v));
    return text;
  }

  function row(pid) {
    for (const li of paths.children) if (li.dataset.path === pid) return li;
    const li = document.createElement("li");
    li.dataset.path = pid;
    const name = document.createElement("span");
    name.className = "path-id";
    name.textContent = pid;
    const bar = document.createElement("progress");
    bar.setAttribute("aria-label", pid);
    const w = document.createElement("span");
    w.className = "word";
    li.append(name, bar, w);
    paths.append(li);
    return li;
  }

  function show(snap) {
    progress.hidden = false;
    progress.dataset.state = snap.state;
    const seen = new Set();
    for (const [pid, done, total] of snap.paths || []) {
      seen.add(pid);
      const li = row(pid);
      const bar = li.querySelector("progress");
      bar.max = Math.max(total, 1);
      bar.value = Math.min(done, total);
      li.querySelector(".word").textContent =
        total ? (done >= total ? "✓ " + word("tDone") : Math.min(done, total) + "/" + total) : word("tWaiting");
    }
    for (const li of Array.from(paths.children)) if (!seen.has(li.dataset.path)) li.remove();
    if (snap.log && snap.log.length) {
      log.hidden = false;
      log.textContent = snap.log.join("\n");
    }
    const s = Math.round(snap.elapsed || 0);
    if (snap.state === "running") status.textContent = word("tChecking", { n: (snap.paths || []).length, s: s });
    else if (snap.state === "done") status.textContent = word("tFinished", { s: s });
    else if (snap.state === "failed") status.textContent = word("tFailed");
  }

  async function finish() {
    if (source) source.close();
    source = null;
    const r = await fetch("/part/result", { credentials: "same-origin" });
    if (r.ok) {
      result.innerHTML = await r.text(); // the server's own HTML, every value in it escaped
      const h = document.getElementById("result-h");
      if (h) h.focus();
    }
    for (const b of buttons()) b.disabled = false;
  }

  function listen() {
    if (source) source.close();
    source = new EventSource("/events");
    source.addEventListener("snapshot", (ev) => show(JSON.parse(ev.data)));
    source.addEventListener("end", finish);
  }

  function note(text) {
    let box = document.getElementById("notice");
    if (!box) {
      box = document.createElement("div");
      box.id = "notice";
      box.className = "notice";
      box.setAttribute("role", "alert");
      document.getElementById("main").prepend(box);
    }
    box.textContent = text;
  }

  for (const form of document.querySelectorAll("form[data-live]")) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      for (const b of buttons()) b.disabled = true;
      const old = document.getElementById("notice");
      if (old) old.remove();
      result.textContent = "";
      paths.textContent = "";
      log.textContent = "";
      log.hidden = true;
      const r = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        body: new URLSearchParams(new FormData(form)),
      });
      if (r.status !== 202) {
        let msg = "HTTP " + r.status;
        try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
        note(msg);
        for (const b of buttons()) b.disabled = false;
        return;
      }
      progress.hidden = false;
      progress.scrollIntoView({ block: "nearest" });
      listen();
    });
  }

  if (progress.dataset.state === "running") listen();
})();
