// trajsift review desk: keyboard shortcuts, label saving (409 conflicts reported), step notes, claims,
// unsaved-change protection, observation paging. A static file (the CSP forbids inline scripts); all data
// is inserted as text, never as HTML.
(function () {
  "use strict";
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const panel = document.getElementById("review-panel");
  const steps = Array.from(document.querySelectorAll("li.step"));
  const status = document.getElementById("status");
  const dirtyMark = document.getElementById("dirty");
  const dirty = new Set();  // "panel" or a step position with unsaved edits
  let current = -1;
  let discardArmed = false;

  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.className = "status " + (kind || "");
  }

  function markDirty(key, on) {
    if (on) dirty.add(key); else dirty.delete(key);
    if (dirtyMark) dirtyMark.hidden = dirty.size === 0;
    discardArmed = false;
  }

  async function send(method, url, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, data: data };
  }

  function checked(root, selector) {
    return Array.from(root.querySelectorAll(selector + ":checked")).map(function (el) { return el.value; });
  }

  function labelBody(step, decision, holder) {
    if (step === -1) {
      return { step: -1, decision: decision, tags: checked(panel, 'input[name="tag"]'),
        comment: document.getElementById("comment").value, version: parseInt(holder.dataset.version || "0", 10) };
    }
    const note = holder.querySelector("[data-step-comment]");
    const box = holder.querySelector(".step-tags");
    let tags = [];
    if (box && box.dataset.built) tags = checked(holder, "input[data-step-tag]");
    else if (box) { try { tags = JSON.parse(box.dataset.tags || "[]"); } catch (e) { tags = []; } }
    return { step: step, decision: decision, tags: tags,
      comment: note ? note.value : "", version: parseInt(holder.dataset.version || "0", 10) };
  }

  async function saveLabel(step, decision, holder) {
    if (!panel || !decision) return;
    say("Saving…", "busy");
    const itemId = panel.dataset.itemId;
    const result = await send("PUT", "/api/items/" + encodeURIComponent(itemId) + "/labels", labelBody(step, decision, holder));
    if (result.status === 200) {
      holder.dataset.version = String(result.data.version);
      holder.dataset.decision = decision;
      const where = step === -1 ? "trajectory" : "step " + step;
      say("Saved " + decision + " for " + where + " (version " + result.data.version + ").", "ok");
      const shown = step === -1 ? panel.querySelector('[data-role="current-decision"]') : holder.querySelector('[data-role="step-label"]');
      shown.textContent = decision;
      markDirty(step === -1 ? "panel" : step, false);
    } else if (result.status === 409) {
      const now = result.data && result.data.current;
      say("Conflict: this label was changed elsewhere" + (now ? " (now " + now.decision + ", version " + now.version + ")" : "") +
        ". Nothing was overwritten — reload the page to see the latest version.", "conflict");
    } else if (result.status === 401) {
      say("Your session expired: log in again (your edits are still on this page).", "error");
    } else {
      say("Could not save: " + ((result.data && result.data.error) || "HTTP " + result.status) + ".", "error");
    }
  }

  function saveNotes() {
    if (!panel) return;
    if (dirty.has("panel")) {
      if (panel.dataset.decision) saveLabel(-1, panel.dataset.decision, panel);
      else say("Choose accept, reject or flag (a / r / f) first: tags and comment are saved with the decision.", "error");
    }
    steps.forEach(function (li) { if (dirty.has(parseInt(li.dataset.position, 10))) saveStepNote(li); });
  }

  function saveStepNote(li) {
    const position = parseInt(li.dataset.position, 10);
    if (li.dataset.decision) saveLabel(position, li.dataset.decision, li);
    else say("Step " + position + ": choose accept, reject or flag for the step first (Shift+A / R / F).", "error");
  }

  // Step tag boxes are built when a step's note is opened (one template, not a copy per step).
  function stepTags(li) {
    const box = li.querySelector(".step-tags");
    if (!box || box.dataset.built) return;
    const template = document.getElementById("step-tag-template");
    box.appendChild(template.content.cloneNode(true));
    let tags = [];
    try { tags = JSON.parse(box.dataset.tags || "[]"); } catch (e) { tags = []; }
    box.querySelectorAll("input[data-step-tag]").forEach(function (input) { input.checked = tags.includes(input.value); });
    box.dataset.built = "1";
  }
  document.addEventListener("toggle", function (event) {
    const details = event.target;
    if (details.classList && details.classList.contains("step-note") && details.open) stepTags(details.closest("li.step"));
  }, true);
  steps.forEach(function (li) { const note = li.querySelector("details.step-note"); if (note && note.open) stepTags(li); });

  function focusStep(index) {
    if (!steps.length) return;
    current = Math.max(0, Math.min(steps.length - 1, index));
    steps.forEach(function (el, i) { el.classList.toggle("current", i === current); });
    steps[current].scrollIntoView({ block: "nearest" });
    if (window.history && window.history.replaceState) window.history.replaceState(null, "", "#step-" + current);
  }

  function stepInView() {
    if (current >= 0) return current;
    const top = steps.findIndex(function (li) { return li.getBoundingClientRect().bottom > 0; });
    focusStep(top >= 0 ? top : 0);
    return current;
  }

  async function nextItem() {
    if (dirty.size && !discardArmed) {
      discardArmed = true;
      say("You have unsaved changes: press s to save them, or n again to leave without saving.", "error");
      return;
    }
    dirty.clear();
    const skip = panel ? "?skip=" + encodeURIComponent(panel.dataset.itemId) : "";
    const result = await send("POST", "/api/queue/next" + skip);
    if (result.status === 200 && result.data && result.data.url) {
      window.location.assign(result.data.url.charAt(0) === "/" ? result.data.url : "/queue");
    } else {
      say("Could not get the next item (HTTP " + result.status + ").", "error");
    }
  }

  async function releaseItem() {
    const result = await send("POST", "/api/items/" + encodeURIComponent(panel.dataset.itemId) + "/release");
    if (result.status === 200) { dirty.clear(); window.location.assign("/queue"); }
    else say("Could not release the item (HTTP " + result.status + ").", "error");
  }

  async function loadMore(button) {
    const li = button.closest("li.step");
    const url = "/api/items/" + encodeURIComponent(panel.dataset.itemId) + "/steps/" + encodeURIComponent(button.dataset.morePosition) +
      "/observation?offset=" + encodeURIComponent(button.dataset.nextOffset) + "&limit=16384";
    const result = await send("GET", url);
    if (result.status !== 200) { say("Could not load the observation (HTTP " + result.status + ").", "error"); return; }
    li.querySelector('[data-role="obs-text"]').appendChild(document.createTextNode(result.data.text));
    if (result.data.next_offset === null) {
      button.remove();
    } else {
      button.dataset.nextOffset = String(result.data.next_offset);
      button.textContent = "Load more (" + (result.data.total - result.data.next_offset) + " characters left)";
    }
  }

  document.addEventListener("click", function (event) {
    const target = event.target.closest("button");
    if (!target || !panel) return;
    const li = target.closest("li.step");
    if (target.dataset.decision) saveLabel(-1, target.dataset.decision, panel);
    else if (target.dataset.stepDecision) saveLabel(parseInt(li.dataset.position, 10), target.dataset.stepDecision, li);
    else if (target.hasAttribute("data-step-save")) saveStepNote(li);
    else if (target.dataset.morePosition) loadMore(target);
    else if (target.id === "next-item") nextItem();
    else if (target.id === "release-item") releaseItem();
    else if (target.id === "save-review") saveNotes();
    else return;
    target.blur();  // keys keep working after a click
  });

  function onEdit(event) {
    const el = event.target;
    if (!panel || !el.closest) return;
    const li = el.closest("li.step");
    if (li && (el.hasAttribute("data-step-comment") || el.hasAttribute("data-step-tag"))) markDirty(parseInt(li.dataset.position, 10), true);
    else if (el.closest("#review-panel") && (el.id === "comment" || el.name === "tag")) markDirty("panel", true);
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);

  window.addEventListener("beforeunload", function (event) {
    if (dirty.size) { event.preventDefault(); event.returnValue = ""; }
  });

  function typing(el) {
    const tag = (el.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "select") return true;
    return tag === "input" && !["checkbox", "radio", "button", "submit"].includes((el.type || "").toLowerCase());
  }

  const decisions = { a: "accept", r: "reject", f: "flag" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const key = event.key;
    if (key === "j") focusStep(current + 1);
    else if (key === "k") focusStep(current - 1);
    else if (key === "n") {
      if (panel) nextItem();
      else { const claim = document.getElementById("claim-next"); if (claim) claim.click(); }
    } else if (panel && key === "s") saveNotes();
    else if (panel && key === "u") releaseItem();
    else if (panel && key === "c" && steps.length) {
      const li = steps[stepInView()];
      li.querySelector("details.step-note").open = true;
      stepTags(li);
      li.querySelector("[data-step-comment]").focus();
    } else if (panel && decisions[key]) saveLabel(-1, decisions[key], panel);
    else if (panel && event.shiftKey && decisions[key.toLowerCase()] && steps.length) {
      const index = stepInView();
      saveLabel(index, decisions[key.toLowerCase()], steps[index]);
    } else return;
    event.preventDefault();
  });

  const deep = /^#step-(\d+)$/.exec(window.location.hash);
  if (deep && steps.length) {
    focusStep(parseInt(deep[1], 10));
    const obs = steps[current].querySelector("details.obs");
    if (obs) obs.open = true;
  }
})();
