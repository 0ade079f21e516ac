// Synapse Link Autopilot dashboard. Plain browser JavaScript, no build step, no dependencies.
// Every value from the API is written with textContent, never parsed as markup: table names are SQL
// identifiers and may contain < > " ' &.
"use strict";

(function () {
  // ?refresh=<seconds> (1 to 300) changes the default of 5 s.
  const asked = Number(new URLSearchParams(location.search).get("refresh"));
  const REFRESH_MS = (Number.isInteger(asked) && asked >= 1 && asked <= 300 ? asked : 5) * 1000;
  const API = location.pathname.replace(/\/dashboard\/?.*$/, "");

  // The function key arrives as ?code= (as for every function-level route in Azure). It is kept for
  // this tab only and taken out of the address bar, so it is not bookmarked or shown on screen.
  const query = new URLSearchParams(location.search);
  const code = query.get("code") || sessionStorage.getItem("dashboard-code") || "";
  if (query.has("code")) {
    sessionStorage.setItem("dashboard-code", code);
    query.delete("code");
    const rest = query.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }

  const state = { paused: false, link: null, requestId: null, status: "", olderToken: null, older: [] };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function cell(row, content, className) {
    const td = el("td", undefined, className);
    if (content instanceof Node) td.appendChild(content);
    else if (content !== undefined && content !== null) td.textContent = String(content);
    row.appendChild(td);
    return td;
  }

  async function getJson(path, params) {
    const search = new URLSearchParams(params || {});
    if (code) search.set("code", code);
    const qs = search.toString();
    // A hung request must not stop the refresh cycle (refresh().finally(schedule)).
    const response = await fetch(API + path + (qs ? "?" + qs : ""), {
      headers: { accept: "application/json" },
      credentials: "same-origin",
      signal: AbortSignal.timeout(Math.max(3 * REFRESH_MS, 15000)),
    });
    if (!response.ok) {
      let detail = response.status + " " + response.statusText;
      try {
        const problem = await response.json();
        if (problem && problem.detail) detail = problem.detail;
      } catch (e) {
        // not a problem document: keep the status line
      }
      throw new Error(detail);
    }
    return response.json();
  }

  function ago(iso, now) {
    if (!iso) return "";
    const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
    return duration(seconds) + " ago";
  }

  function until(iso, now) {
    if (!iso) return "";
    const seconds = Math.round((Date.parse(iso) - now) / 1000);
    return seconds <= 0 ? "due" : "in " + duration(seconds);
  }

  function duration(seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
    if (seconds < 86400)
      return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
    return Math.floor(seconds / 86400) + " d " + Math.floor((seconds % 86400) / 3600) + " h";
  }

  function time(iso, text) {
    const node = el("time", text);
    if (iso) {
      node.dateTime = iso;
      node.title = iso;
    }
    return node;
  }

  function statusBadge(status) {
    return el("span", status, "status status-" + String(status).toLowerCase());
  }

  const PHASES = {
    claiming: "claiming requests",
    batching: "batching",
    waitingForLink: "waiting for the link",
    editing: "editing",
    confirming: "confirming",
    monitoring: "monitoring",
    waiting: "waiting",
    backingOff: "back-off",
    finished: "finished",
  };

  const ORDER = [
    "Replicating",
    "Snapshotting",
    "Waiting",
    "Adding",
    "Pending",
    "Suspended",
    "Removing",
    "Removed",
    "Failed",
    "Rejected",
  ];

  function tableBar(counts) {
    const wrap = el("div", undefined, "bar-wrap");
    const bar = el("div", undefined, "bar");
    bar.setAttribute("aria-hidden", "true");
    const parts = [];
    for (const status of ORDER) {
      const n = counts[status];
      if (!n) continue;
      const segment = el("span", undefined, "segment status-" + status.toLowerCase());
      segment.style.flexGrow = String(n);
      bar.appendChild(segment);
      parts.push(n + " " + status);
    }
    wrap.appendChild(bar);
    wrap.appendChild(el("span", parts.length ? parts.join(", ") : "none", "bar-legend"));
    return wrap;
  }

  // Rebuilding a table body must not take the keyboard focus away: remember which control had it.
  function replaceRows(tbody, rows) {
    // Each cell carries its column's name, which the phone-width layout shows beside the value.
    const names = Array.from(tbody.parentElement.querySelectorAll("thead th"), function (th) {
      return th.textContent;
    });
    for (const row of rows) {
      Array.from(row.children).forEach(function (c, i) {
        c.setAttribute("data-label", names[i] || "");
      });
    }
    const focused = document.activeElement;
    const key = focused && tbody.contains(focused) ? focused.getAttribute("data-key") : null;
    tbody.replaceChildren.apply(tbody, rows);
    if (key !== null) {
      for (const node of tbody.querySelectorAll("[data-key]")) {
        if (node.getAttribute("data-key") === key) node.focus();
      }
    }
  }

  function linkName(link) {
    return link.workspace + "/" + link.linkConnection;
  }

  function renderLinks(body, now) {
    const rows = body.links.map(function (link) {
      const tr = el("tr");
      const open = el("button", linkName(link), "linkish");
      open.type = "button";
      open.setAttribute("data-key", linkName(link));
      open.setAttribute("aria-label", "Show the tables of " + linkName(link));
      if (state.link && linkName(state.link) === linkName(link)) open.setAttribute("aria-current", "true");
      open.addEventListener("click", function () {
        state.link = { workspace: link.workspace, linkConnection: link.linkConnection };
        refreshDetail(true);
      });
      cell(tr, open);
      cell(tr, link.linkStatus + (link.serviceError ? " (" + link.serviceError + ")" : ""));
      const phase = link.worker.phase
        ? PHASES[link.worker.phase] || link.worker.phase
        : link.worker.runtimeStatus || "not running";
      // A detail the warnings already carry (a paused pool) is not repeated beside the phase.
      const detail =
        link.worker.detail && (link.warnings || []).indexOf(link.worker.detail) < 0 ? link.worker.detail : "";
      cell(tr, phase + (detail ? ": " + detail : ""));
      cell(tr, tableBar(link.tables || {}));
      cell(tr, link.lastChangeAt ? time(link.lastChangeAt, ago(link.lastChangeAt, now)) : "");
      cell(tr, link.nextPollAt ? time(link.nextPollAt, until(link.nextPollAt, now)) : "");
      cell(tr, link.lastError || "", "error");
      const warnings = el("ul", undefined, "warnings");
      for (const w of link.warnings || []) warnings.appendChild(el("li", w));
      cell(tr, warnings.children.length > 0 ? warnings : "");
      return tr;
    });
    replaceRows(document.querySelector("#links tbody"), rows);
    document.getElementById("links-empty").hidden = rows.length > 0;
  }

  function renderDetail(body, now) {
    document.getElementById("detail-heading").textContent = "Link " + linkName(body);
    document.getElementById("detail-summary").textContent =
      "Service: " +
      body.linkStatus +
      ". Worker: " +
      (body.worker.runtimeStatus || "not running") +
      (body.worker.fault ? ", fault: " + body.worker.fault : "") +
      ". Breaker: " +
      body.breaker.state +
      ".";
    const rows = body.tables.map(function (t) {
      const tr = el("tr");
      const name = t.schema + "." + t.name;
      const th = el("th", name);
      th.scope = "row";
      tr.appendChild(th);
      cell(tr, statusBadge(t.status));
      cell(
        tr,
        t.updatedAt
          ? time(t.updatedAt, duration(Math.max(0, Math.round((now - Date.parse(t.updatedAt)) / 1000))))
          : "",
      );
      cell(
        tr,
        // From the request (tables recorded before requestedAt existed: from the edit).
        t.status === "Replicating" && (t.requestedAt || t.editedAt)
          ? duration(
              Math.max(
                0,
                Math.round((Date.parse(t.updatedAt) - Date.parse(t.requestedAt || t.editedAt)) / 1000),
              ),
            )
          : "",
      );
      cell(tr, t.error || "", "error");
      cell(tr, t.whatToDo || "", "advice");
      cell(tr, String(t.attempts || 0));
      return tr;
    });
    replaceRows(document.querySelector("#tables tbody"), rows);
  }

  function requestRow(r, now) {
    const tr = el("tr");
    const open = el("button", r.requestId.slice(0, 8), "linkish mono");
    open.type = "button";
    open.setAttribute("data-key", r.requestId);
    open.setAttribute("aria-label", "Show the tables of request " + r.requestId);
    open.addEventListener("click", function () {
      state.requestId = r.requestId;
      refreshRequest(true);
    });
    cell(tr, open);
    cell(tr, linkName(r));
    cell(tr, statusBadge(r.status));
    const progress = el("span");
    const meter = el("progress");
    meter.max = r.progress.total || 1;
    meter.value = r.progress.final;
    meter.setAttribute("aria-label", r.progress.final + " of " + r.progress.total + " tables final");
    progress.appendChild(meter);
    progress.appendChild(el("span", " " + r.progress.final + " / " + r.progress.total));
    cell(tr, progress);
    cell(tr, r.origin === "event" ? "event" : "webhook");
    cell(tr, time(r.createdAt, ago(r.createdAt, now)));
    cell(tr, time(r.updatedAt, ago(r.updatedAt, now)));
    return tr;
  }

  function renderRequests(body, now) {
    const all = body.requests.concat(state.older);
    replaceRows(
      document.querySelector("#requests tbody"),
      all.map(function (r) {
        return requestRow(r, now);
      }),
    );
    if (state.olderToken === null) state.olderToken = body.continuationToken || null;
    document.getElementById("more").hidden = !state.olderToken;
  }

  function renderRequest(body) {
    document.getElementById("request-heading").textContent =
      "Request " + body.requestId + ": " + body.status + " (" + linkName(body) + ")";
    const rows = body.tables.map(function (t) {
      const tr = el("tr");
      const th = el("th", t.schema + "." + t.name);
      th.scope = "row";
      tr.appendChild(th);
      cell(tr, statusBadge(t.status));
      cell(tr, t.error || "", "error");
      return tr;
    });
    replaceRows(document.querySelector("#request-tables tbody"), rows);
  }

  function showProblem(id, error) {
    const node = document.getElementById(id);
    node.hidden = !error;
    node.textContent = error ? "Could not refresh: " + error.message : "";
  }

  function filterParams() {
    return state.status ? { status: state.status } : {};
  }

  async function refreshDetail(focus) {
    if (!state.link) return;
    const section = document.getElementById("detail");
    try {
      const body = await getJson(
        "/links/" +
          encodeURIComponent(state.link.workspace) +
          "/" +
          encodeURIComponent(state.link.linkConnection),
      );
      renderDetail(body, Date.now());
      section.hidden = false;
      if (focus) document.getElementById("detail-heading").focus();
    } catch (error) {
      section.hidden = false;
      document.getElementById("detail-summary").textContent = "Could not load the link: " + error.message;
    }
  }

  async function refreshRequest(focus) {
    if (!state.requestId) return;
    const section = document.getElementById("request");
    try {
      renderRequest(await getJson("/onboarding/" + encodeURIComponent(state.requestId)));
      section.hidden = false;
      if (focus) document.getElementById("request-heading").focus();
    } catch (error) {
      section.hidden = false;
      document.getElementById("request-heading").textContent = "Could not load the request: " + error.message;
    }
  }

  // A list asked for under another filter than the one now chosen is dropped, not shown.
  function requestsFor(status) {
    return getJson("/onboarding", filterParams()).then(function (body) {
      if (status === state.status) renderRequests(body, Date.now());
    });
  }

  async function refresh() {
    const results = await Promise.allSettled([
      getJson("/links").then(function (body) {
        renderLinks(body, Date.now());
      }),
      requestsFor(state.status),
      refreshDetail(false),
      refreshRequest(false),
    ]);
    showProblem("links-error", results[0].status === "rejected" ? results[0].reason : null);
    showProblem("requests-error", results[1].status === "rejected" ? results[1].reason : null);
    const when = new Date();
    const line = document.getElementById("refreshed");
    line.textContent =
      "Last refreshed at " +
      when.toLocaleTimeString() +
      (state.paused ? " (paused)" : ", every " + REFRESH_MS / 1000 + " s");
    line.setAttribute("data-refreshed-at", when.toISOString());
  }

  let timer = null;
  function schedule() {
    if (timer !== null) clearTimeout(timer);
    timer = state.paused
      ? null
      : setTimeout(function () {
          refresh().finally(schedule);
        }, REFRESH_MS);
  }

  document.getElementById("pause").addEventListener("click", function (event) {
    state.paused = !state.paused;
    event.currentTarget.setAttribute("aria-pressed", String(state.paused));
    event.currentTarget.textContent = state.paused ? "Resume refresh" : "Pause refresh";
    if (!state.paused) refresh().finally(schedule);
    else schedule();
  });

  document.getElementById("status-filter").addEventListener("change", function (event) {
    state.status = event.currentTarget.value;
    state.olderToken = null;
    state.older = [];
    replaceRows(document.querySelector("#requests tbody"), []);
    document.getElementById("more").hidden = true;
    requestsFor(state.status).catch(function (error) {
      showProblem("requests-error", error);
    });
  });

  document.getElementById("more").addEventListener("click", async function () {
    if (!state.olderToken) return;
    try {
      const params = filterParams();
      params.continuationToken = state.olderToken;
      const body = await getJson("/onboarding", params);
      state.older = state.older.concat(body.requests);
      state.olderToken = body.continuationToken || "";
      document.getElementById("more").hidden = !state.olderToken;
      refresh();
    } catch (error) {
      showProblem("requests-error", error);
    }
  });

  refresh().finally(schedule);
})();
