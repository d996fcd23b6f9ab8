// The order page, enhanced: a busy state (announced in the status region), the submit buttons
// marked disabled while the order is prepared, progress for a multi-item order and a confirmation
// of what was delivered. Without this script the form is a plain post and works the same.
"use strict";
(function () {
  const form = document.getElementById("order");
  if (!form) return;
  const status = document.getElementById("status");
  const bar = document.getElementById("progress-bar");
  const barBox = document.getElementById("progress");
  const buttons = () => document.querySelectorAll("button[type=submit]");
  let busy = false;
  let timer = null;

  const summary = document.getElementById("error-summary");
  if (summary) {
    if (document.activeElement !== summary) summary.focus();
    // A link of the summary moves the focus to its field (a fragment alone only scrolls), with its
    // label in view.
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      (target.closest(".lang, .control") || target).scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    });
  }

  // An unavailable language stays reachable and explained (aria-disabled, aria-describedby),
  // but cannot be ticked; one already ticked (a refilled form) can still be unticked.
  form.addEventListener("click", (event) => {
    const box = event.target;
    if (box instanceof HTMLInputElement && box.getAttribute("aria-disabled") === "true" && box.checked) {
      event.preventDefault();
    }
  });

  function say(text, kind) {
    status.className = "status" + (kind ? " " + kind : "");
    status.textContent = text;
  }

  function setBusy(on) {
    busy = on;
    for (const button of buttons()) {
      if (on) button.setAttribute("aria-disabled", "true"); else button.removeAttribute("aria-disabled");
    }
    barBox.hidden = !on;
    if (!on && timer) { clearTimeout(timer); timer = null; }
  }

  function list(items) { return items.join("; "); }

  function poll(id, started) {
    fetch("/order/progress/" + id, { cache: "no-store", credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((progress) => {
        if (progress) {
          bar.max = Math.max(progress.total, 1);
          bar.value = progress.done;
          if (progress.state === "delivered") {
            setBusy(false);
            let text = "Done: " + progress.file + " is downloading with " + progress.delivered.length +
              (progress.delivered.length === 1 ? " leaflet: " : " leaflets: ") + list(progress.delivered) + ".";
            if (progress.left_out.length) text += " Left out: " + list(progress.left_out);
            say(text, "done");
            return;
          }
          if (progress.state === "refused") { setBusy(false); return; }  // the page with the reasons follows
          if (progress.total > 1) {
            const text = "Preparing your leaflets: " + progress.done + " of " + progress.total + " ready.";
            if (status.textContent !== text) say(text, "working");
          }
        }
        if (Date.now() - started < 10 * 60 * 1000) timer = setTimeout(() => poll(id, started), 600);
        else setBusy(false);
      })
      .catch(() => { timer = setTimeout(() => poll(id, started), 1500); });
  }

  form.addEventListener("submit", (event) => {
    if (busy) { event.preventDefault(); return; }  // one order at a time: a second press orders nothing
    const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    let field = form.querySelector("input[name=progress]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "progress";
      form.appendChild(field);
    }
    field.value = id;
    setBusy(true);
    bar.removeAttribute("value");  // indeterminate until the server has counted the items
    say("Preparing your leaflets. This can take up to a minute; please keep this page open.", "working");
    timer = setTimeout(() => poll(id, Date.now()), 400);
  });

  // Back from another page (the browser's page cache): not busy any more.
  window.addEventListener("pageshow", (event) => { if (event.persisted) { setBusy(false); say(""); } });
})();
