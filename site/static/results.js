/* Chorus site: the Results page's script. Fills the public summary (programme totals, nothing personal) and,
   for an admin with a token (kept in this tab's sessionStorage only, as the admin form keeps it), shows the
   API's report (server-rendered SVG charts with their data tables) and downloads its tables as CSV.
   Every word it shows comes from the page (data- attributes), so it speaks the page's language. */
"use strict";
(() => {
  const TOKEN_KEY = "chorus.adminToken";  // the admin form's key: one sign-in serves both in this tab
  const root = document.documentElement;
  const api = root.getAttribute("data-api") || "";
  const lang = root.getAttribute("lang") || "en";
  const $ = (id) => document.getElementById(id);
  const numbers = new Intl.NumberFormat(lang);
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" });

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  }

  function day(iso) {  // "YYYY-MM-DD" in the page's language, or as it came if it is not a date
    const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return parts ? dates.format(new Date(Date.UTC(+parts[1], parts[2] - 1, +parts[3]))) : String(iso || "");
  }

  function isoDay(moment) {  // the browser's own calendar day
    const pad = (n) => String(n).padStart(2, "0");
    return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`;
  }

  // --- 1. The public summary --------------------------------------------------------------------

  async function summary() {
    const box = $("summary");
    if (!box) return;
    const range = $("summary-range");
    try {
      const response = await fetch(`${api}/api/results/summary`, { credentials: "omit" });
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      box.querySelectorAll("[data-summary]").forEach((cell) => {
        const value = body[cell.getAttribute("data-summary")];
        cell.textContent = typeof value === "number" ? numbers.format(value) : "–";
      });
      const period = body.range || {};
      range.textContent = fill(box.getAttribute("data-range"), { start: day(period.start), end: day(period.end) });
    } catch (failure) {
      range.textContent = box.getAttribute("data-failed");
    }
  }

  summary();

  // --- 2. The admins' report --------------------------------------------------------------------

  const section = $("admin-results");
  if (!section) return;
  const text = (name) => section.getAttribute(`data-${name}`) || "";
  const signin = $("results-signin");
  const workspace = $("results-workspace");
  const filters = $("results-filters");
  const report = $("results-report");
  const status = $("results-status");

  class ApiError extends Error {
    constructor(status, data, fallback) {
      super((data && data.error) || fallback);
      this.status = status;
      this.fields = (data && data.fields) || {};
    }
  }

  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; } }
  function keep(value) { try { sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { /* storage refused */ } }
  function forget() { try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage refused */ } }

  function say(message) { status.textContent = message; }

  // Field errors next to their fields, as the admin form shows them.
  function clearErrors(form) {
    form.querySelectorAll(".error").forEach((note) => note.remove());
    form.querySelectorAll("[aria-invalid]").forEach((control) => {
      control.removeAttribute("aria-invalid");
      const kept = (control.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
      if (kept.length) control.setAttribute("aria-describedby", kept.join(" "));
      else control.removeAttribute("aria-describedby");
    });
  }

  function showFieldError(control, message) {
    const id = `${control.id}-error`;
    const note = document.createElement("p");
    note.id = id;
    note.className = "error";
    note.textContent = message;
    control.after(note);
    control.setAttribute("aria-invalid", "true");
    const described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    control.setAttribute("aria-describedby", [...described, id].join(" "));
  }

  function showErrors(error) {
    clearErrors(filters);
    let first = null;
    const elsewhere = [];
    for (const [field, message] of Object.entries(error.fields)) {
      const control = $(`r-${field}`);
      if (!control) { elsewhere.push(`${field}: ${message}`); continue; }
      const label = filters.querySelector(`label[for="${control.id}"]`);
      showFieldError(control, `${label ? label.textContent.trim() : field}: ${message}`);
      first = first || control;
    }
    say([first ? text("invalid") : error.message, ...elsewhere].join(" "));
    if (first) first.focus();
  }

  function signOut(message) {
    forget();
    workspace.hidden = true;
    report.replaceChildren();
    say("");
    signin.hidden = false;
    clearErrors(signin);
    const input = $("r-token");
    input.value = "";
    if (message) showFieldError(input, message);
    input.focus();
  }

  async function call(path) {
    let response;
    try {
      response = await fetch(api + path, {
        headers: { Authorization: `Bearer ${token()}` },
        credentials: "omit",
        cache: "no-store",
      });
    } catch (failure) {
      throw new ApiError(0, null, text("unreachable"));
    }
    if (response.ok) return response;
    let data = null;
    try { data = await response.json(); } catch (unreadable) { data = null; }
    if (response.status === 401) signOut(text("rejected"));
    throw new ApiError(response.status, data, text("unreachable"));
  }

  function query(extra) {
    const params = new URLSearchParams();
    for (const name of ["from", "to", "team", "network", "language"]) {
      const value = filters.elements[name].value.trim();
      if (value) params.set(name, value);
    }
    for (const [name, value] of Object.entries(extra)) params.set(name, value);
    return params.toString();
  }

  let loads = 0;  // a slower, older answer never replaces a newer one

  async function show() {
    const mine = ++loads;
    clearErrors(filters);
    say(text("loading"));
    report.setAttribute("aria-busy", "true");
    try {
      const response = await call(`/api/admin/results?${query({ lang })}`);
      const html = await response.text();
      if (mine !== loads) return;
      // The API's own fragment (it escapes every name in it); parsed, so no script in it could run.
      const parsed = new DOMParser().parseFromString(html, "text/html");
      report.replaceChildren(...Array.from(parsed.body.childNodes, (node) => document.adoptNode(node)));
      say(fill(text("shown"), { start: day(filters.elements.from.value), end: day(filters.elements.to.value) }));
    } catch (error) {
      if (mine !== loads) return;
      if (error.status === 401) return;  // signed out, and told why next to the token field
      report.replaceChildren();
      showErrors(error);
    } finally {
      if (mine === loads) report.removeAttribute("aria-busy");
    }
  }

  async function download(table, button) {
    clearErrors(filters);
    button.disabled = true;
    try {
      const response = await call(`/api/admin/kpis.csv?${query({ table })}`);
      const blob = await response.blob();
      const file = `chorus-${table}-${filters.elements.from.value}-${filters.elements.to.value}.csv`;
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = file;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      say(fill(text("downloaded"), { file }));
    } catch (error) {
      if (error.status !== 401) showErrors(error);
    } finally {
      button.disabled = false;
    }
  }

  function enter(focus) {
    signin.hidden = true;
    clearErrors(signin);
    workspace.hidden = false;
    if (focus) filters.elements.from.focus();  // the sign-in form is gone: focus goes on, not to the page's top
    show();
  }

  // The last 30 days, today included, unless the admin chose otherwise.
  const today = new Date();
  filters.elements.to.value = isoDay(today);
  filters.elements.from.value = isoDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29));

  signin.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("r-token");
    clearErrors(signin);
    const given = input.value.trim();
    if (!given) { showFieldError(input, text("missing")); input.focus(); return; }
    keep(given);
    input.value = "";
    enter(true);  // the report's request is the check: a 401 brings the sign-in back, with the reason
  });
  filters.addEventListener("submit", (event) => { event.preventDefault(); show(); });
  $("results-sign-out").addEventListener("click", () => signOut(""));
  workspace.querySelectorAll("button[data-table]").forEach((button) => {
    button.addEventListener("click", () => download(button.getAttribute("data-table"), button));
  });

  if (token()) enter(false);
  else signin.hidden = false;
})();
