/* Chorus site: the only script. Keeps the employee's signed token (from the digest link's #t= fragment)
   in this browser, swaps share buttons for the employee's signed share links and shows their standing.
   Without a token the page works as it is: buttons share the item's public page. */
(function () {
  "use strict";
  var KEY = "chorus.token";
  var root = document.documentElement;
  var api = root.getAttribute("data-api") || "";

  function stored() { try { return window.localStorage.getItem(KEY); } catch (e) { return null; } }
  function keep(token) { try { window.localStorage.setItem(KEY, token); } catch (e) { /* private mode */ } }
  function forget() { try { window.localStorage.removeItem(KEY); } catch (e) { /* private mode */ } }

  // Tokens are <employee>[.<version>].<expiry>.<signature>: whose, and until when, can be read here.
  function owner(token) { return String(token).split(".")[0]; }
  function expired(token) {
    var parts = String(token).split(".");
    return !(Number(parts[parts.length - 2]) > Date.now() / 1000);
  }

  // 1. A token in the fragment (never sent to any server) is kept, then removed from the address bar.
  //    The same person's newer token replaces the kept one silently; someone else's only if they say so.
  var match = /(?:^#|&)t=([^&]+)/.exec(window.location.hash);
  var offered = null;
  if (match) {
    var given = match[1];
    try { given = decodeURIComponent(given); } catch (e) { /* kept as it came; the API will judge it */ }
    var current = stored();
    if (current && owner(current) !== owner(given) && !expired(current)) offered = given;
    else keep(given);
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  // The language picker forwards to the browser's language (a token still to ask about goes along).
  if (root.hasAttribute("data-root")) {
    var locales = Array.prototype.map.call(document.querySelectorAll("[data-locale]"), function (a) { return a.getAttribute("data-locale"); });
    var wanted = (navigator.languages || [navigator.language || "en"]).map(function (l) { return String(l).slice(0, 2).toLowerCase(); });
    var chosen = wanted.filter(function (l) { return locales.indexOf(l) >= 0; })[0] || "en";
    window.location.replace("/" + chosen + "/" + (offered ? "#t=" + encodeURIComponent(offered) : ""));
    return;
  }

  // Someone else's link on a browser that shares in another person's name (a forwarded digest, a shared
  // computer): ask. Until they switch, the page stays personal to the one kept here.
  var dialog = document.getElementById("switch-person");
  if (offered && dialog && typeof dialog.showModal === "function") {
    dialog.querySelector('[data-switch="replace"]').addEventListener("click", function () {
      keep(offered);
      dialog.close();
      window.location.reload();
    });
    dialog.querySelector('[data-switch="keep"]').addEventListener("click", function () { dialog.close(); });
    dialog.showModal();
  }

  function notice(kind) {
    var box = document.getElementById("notice");
    if (!box) return;
    box.textContent = box.getAttribute("data-" + kind);
    box.hidden = false;
  }

  var token = stored();
  if (!token) return;
  var headers = { Authorization: "Employee " + token };
  var dropped = false;

  function drop() {
    if (dropped) return;
    dropped = true;
    forget();
    notice("invalid");
  }

  function get(path) {
    return fetch(api + path, { headers: headers, credentials: "omit" }).then(function (response) {
      if (response.status === 401) { drop(); return null; }
      return response.ok ? response.json() : null;
    }).catch(function () { return null; });  // offline: the public buttons keep working
  }

  var forgetRow = document.getElementById("me-forget");
  if (forgetRow) {
    forgetRow.hidden = false;
    forgetRow.querySelector("[data-forget]").addEventListener("click", function () {
      forget();
      forgetRow.hidden = true;
      notice("forgotten");
    });
  }

  // 2. Share buttons go through the employee's signed share links (one request for the whole page).
  var blocks = document.querySelectorAll(".share[data-content]");
  var ids = [];
  Array.prototype.forEach.call(blocks, function (block) {
    var id = block.getAttribute("data-content");
    if (ids.indexOf(id) < 0 && ids.length < 50) ids.push(id);
  });
  if (ids.length) {
    get("/api/me/share-links?content_ids=" + encodeURIComponent(ids.join(","))).then(function (body) {
      if (!body) return;
      Array.prototype.forEach.call(blocks, function (block) {
        var links = body.share_links[block.getAttribute("data-content")] || {};
        Array.prototype.forEach.call(block.querySelectorAll("a[data-network]"), function (a) {
          var signed = links[a.getAttribute("data-network")];
          if (signed) { a.href = signed; a.setAttribute("data-personal", ""); }
        });
      });
    });
  }

  // 3. The employee's own standing, where the page has a place for it.
  var box = document.getElementById("me");
  if (!box) return;
  get("/api/me").then(function (body) {
    if (!body) return;
    var lang = root.getAttribute("lang") || "en";
    var format = new Intl.NumberFormat(lang);
    box.querySelector('[data-me="name"]').textContent = body.employee.name;
    box.querySelector('[data-me="team"]').textContent = body.employee.team ? "(" + body.employee.team + ")" : "";
    Object.keys(body.standings).forEach(function (period) {
      var row = box.querySelector('tr[data-period="' + period + '"]');
      if (!row) return;
      var figures = body.standings[period];
      Array.prototype.forEach.call(row.querySelectorAll("[data-field]"), function (cell) {
        var field = cell.getAttribute("data-field");
        var value = figures[field];
        if (field === "rank" || field === "team_rank") {
          cell.textContent = value == null ? "–" : format.format(value) + (figures[field + "_is_floor"] ? "+" : "");
        } else {
          cell.textContent = format.format(value || 0);
        }
      });
    });
    var progress = box.querySelector('[data-me="progress"]');
    if (progress) {
      // The sentences come translated from the page (data- attributes); only numbers and names go in here.
      var parts = [];
      var streak = body.streak || { current: 0, best: 0 };
      if (streak.best) {
        parts.push(progress.getAttribute("data-streak")
          .replace("{current}", format.format(streak.current)).replace("{best}", format.format(streak.best)));
      }
      var names = (body.badges || []).map(function (badge) { return progress.getAttribute("data-badge-" + badge) || badge; });
      if (names.length) {
        var list = window.Intl && Intl.ListFormat ? new Intl.ListFormat(lang).format(names) : names.join(", ");
        parts.push(progress.getAttribute("data-badges").replace("{badges}", list));
      }
      progress.textContent = parts.join(" · ");
      progress.hidden = !parts.length;
    }
    box.hidden = false;
  });
})();
