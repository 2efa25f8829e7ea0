// callstream console: live updates over Server-Sent Events.
// Every value comes from a Kafka topic and is placed with textContent, never parsed as HTML.
"use strict";

(function () {
  const view = document.body.dataset.view;
  const streamUrl = document.body.dataset.stream;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function cell(row, content) {
    const td = document.createElement("td");
    if (content instanceof Node) td.appendChild(content);
    else td.textContent = String(content);
    row.appendChild(td);
    return td;
  }

  function setField(root, name, value) {
    const node = root.querySelector('[data-field="' + name + '"]');
    if (node) node.textContent = String(value);
  }

  function replaceBody(table, rows) {
    const body = document.createElement("tbody");
    rows.forEach(function (row) { body.appendChild(row); });
    table.replaceChild(body, table.tBodies[0]);
  }

  function callLink(id) {
    const a = el("a", id);
    a.href = "/calls/" + encodeURIComponent(id);
    return a;
  }

  const render = {
    calls: function (data) {
      const latency = document.getElementById("latency");
      Object.keys(data.latency).forEach(function (key) { setField(latency, key, data.latency[key]); });
      replaceBody(document.getElementById("calls"), data.calls.map(function (call) {
        const tr = el("tr", null, call.live ? "live" : "ended");
        cell(tr, callLink(call.id));
        [call.caller, call.customer, call.age, call.pending, call.delivered, call.last, call.state]
          .forEach(function (value) { cell(tr, value); });
        return tr;
      }));
      document.getElementById("no-calls").hidden = data.calls.length > 0;
    },

    call: function (data) {
      const detail = data.detail;
      if (!detail) return;
      const summary = document.getElementById("summary");
      ["caller", "customer", "state", "age", "pending", "delivered"].forEach(function (key) {
        setField(summary, key, detail.call[key]);
      });
      replaceBody(document.getElementById("timeline"), detail.entries.map(function (entry) {
        const tr = el("tr", null, entry.tone);
        tr.dataset.kind = entry.kind;
        cell(tr, entry.t).title = entry.at;
        const what = cell(tr, el("span", entry.kind, "kind"));
        what.appendChild(document.createTextNode(" " + entry.title));
        cell(tr, el("pre", entry.text));
        const ids = el("ul", null, "ids");
        entry.ids.forEach(function (id) { ids.appendChild(el("li", id)); });
        cell(tr, ids);
        cell(tr, entry.trace).className = "trace";
        cell(tr, entry.latency);
        return tr;
      }));
      const dropped = document.getElementById("dropped");
      dropped.hidden = !detail.dropped;
      dropped.textContent = detail.dropped + " later entries not kept (console.max_entries_per_call).";
    },

    "dead-letters": function (data) {
      replaceBody(document.getElementById("reasons"), data.reasons.map(function (row) {
        const tr = el("tr");
        [row.stage, row.reason, row.count].forEach(function (value) { cell(tr, value); });
        return tr;
      }));
      const table = document.getElementById("letters");
      const canReplay = table.dataset.canReplay === "yes";
      replaceBody(table, data.letters.map(function (letter) {
        const tr = el("tr");
        tr.dataset.key = letter.key;
        [letter.at, letter.stage].forEach(function (value) { cell(tr, value); });
        cell(tr, letter.reason).className = "reason";
        cell(tr, el("pre", letter.error));
        [letter.topic, letter.call].forEach(function (value) { cell(tr, value); });
        cell(tr, letter.trace).className = "trace";
        const redrive = cell(tr, el("code", letter.command, "command"));
        const copy = el("button", "Copy", "copy");
        copy.type = "button";
        copy.dataset.command = letter.command;
        redrive.appendChild(copy);
        if (canReplay) {
          const replay = el("button", "Dry run", "replay");
          replay.type = "button";
          replay.dataset.key = letter.key;
          redrive.appendChild(replay);
        }
        return tr;
      }));
      document.getElementById("no-letters").hidden = data.letters.length > 0;
    },
  };

  function status(text) {
    const node = document.getElementById("status");
    if (node) node.textContent = text;
  }

  if (streamUrl && render[view]) {
    const source = new EventSource(streamUrl);
    source.addEventListener("update", function (event) {
      render[view](JSON.parse(event.data));
      status("live");
    });
    source.addEventListener("error", function () { status("reconnecting…"); });
  }

  // -- copy and replay (dead letters) ------------------------------------------------
  async function postReplay(key, confirm) {
    const parts = key.split(":");
    const response = await fetch("/dead-letters/" + parts[0] + "/" + parts[1] + "/replay", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(confirm ? { confirm: confirm } : {}),
      credentials: "same-origin",
    });
    const body = await response.json();
    return response.ok ? body : { line: body.detail || ("HTTP " + response.status) };
  }

  document.addEventListener("click", async function (event) {
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    if (!button) return;
    if (button.classList.contains("copy")) {
      try {
        await navigator.clipboard.writeText(button.dataset.command || "");
        button.textContent = "Copied";
      } catch (err) {
        button.textContent = "Select and copy";
      }
      return;
    }
    const panel = document.getElementById("replay-panel");
    const line = document.getElementById("replay-line");
    const confirmButton = document.getElementById("replay-confirm");
    if (button.classList.contains("replay")) {
      panel.hidden = false;
      confirmButton.hidden = true;
      line.textContent = "dry run of " + button.dataset.key + "…";
      const result = await postReplay(button.dataset.key || "", null);
      line.textContent = result.line;
      if (result.confirm) {
        confirmButton.dataset.key = button.dataset.key || "";
        confirmButton.dataset.confirm = result.confirm;
        confirmButton.hidden = false;
      }
    } else if (button === confirmButton) {
      confirmButton.hidden = true;
      const result = await postReplay(button.dataset.key || "", button.dataset.confirm || "");
      line.textContent = result.line;
    }
  });
})();
