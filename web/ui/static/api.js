// Watchword API helpers shared by the alert and feed pages: the API token
// (asked for once with the page's #token-form and kept in sessionStorage
// for the tab's life), JSON calls, and small DOM helpers. Exposed as
// window.Watchword.
(function () {
  "use strict";
  var KEY = "watchword.token";
  var $ = function (id) { return document.getElementById(id); };

  // ---- token and API calls ----
  function token() { try { return sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; } }
  function setToken(t) { try { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); } catch (e) { /* storage off */ } }
  var forget = $("forget-token");
  function showForget() { if (forget) forget.hidden = !token(); }
  if (forget) forget.addEventListener("click", function () { setToken(""); showForget(); say($("status"), "Token forgotten for this tab."); });
  showForget();

  // What the tab's key may do: a read key's page hides the write
  // controls (.needs-write; the server refuses the writes anyway).
  function showScope() {
    var t = token();
    if (!t) return;
    fetch("/api/whoami", { headers: { "Authorization": "Bearer " + t, "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (w) { if (w && w.scope) document.body.setAttribute("data-scope", w.scope); }, function () { /* offline: leave it */ });
  }
  showScope();

  // Every call refused for want of a token waits here for it (the list
  // page's load and a save can both be refused before the token is given;
  // one slot lost the first of them).
  var retries = [];
  var tokenForm = $("token-form");
  function askToken(hadToken, again) {
    if (retries.indexOf(again) < 0) retries.push(again);
    $("token-msg").textContent = hadToken
      ? "The token was not accepted (401). Check it and try again."
      : "This needs the API token (printed when the server first started; also in <data>/token).";
    $("token-msg").className = hadToken ? "error" : "hint";
    tokenForm.hidden = false;
    $("token-input").focus();
  }
  if (tokenForm) tokenForm.addEventListener("submit", function (e) {
    e.preventDefault();
    setToken($("token-input").value.trim());
    $("token-input").value = "";
    tokenForm.hidden = true;
    showForget();
    showScope();
    var rs = retries;
    retries = [];
    rs.forEach(function (r) { r(); });
  });

  // api calls the JSON API. It resolves to {status, data}; a 401 asks for
  // the token and runs again() once it is given.
  function api(method, path, body, again) {
    var h = { "Accept": "application/json" };
    var t = token();
    if (t) h.Authorization = "Bearer " + t;
    if (body !== undefined) h["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" })
      .then(function (res) {
        return res.text().then(function (txt) {
          var data = null;
          try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = { error: { message: txt.slice(0, 200) } }; }
          if (res.status === 401 && again) {
            // A token given while this call was on its way: run it again
            // with that one instead of asking once more.
            if (token() && token() !== t) again();
            else askToken(!!t, again);
          }
          return { status: res.status, data: data };
        });
      }, function (err) { return { status: 0, data: { error: { message: "network error: " + err.message } } }; });
  }
  function errText(r) {
    var e = r.data && r.data.error;
    if (r.status === 401) return "Needs a valid API token.";
    return (e && e.message) ? e.message + (r.status ? " (" + r.status + ")" : "") : "HTTP " + r.status;
  }
  function missingAPI(r) { return r.status === 404 || r.status === 405; }

  // ---- small DOM helpers ----
  function say(el, msg, cls) { if (!el) return; el.textContent = msg; el.className = cls || el.className.replace(/ ?(bad|ok)\b/g, ""); el.hidden = !msg; }
  function el(tag, text, cls) { var n = document.createElement(tag); if (text != null) n.textContent = text; if (cls) n.className = cls; return n; }
  function when(s) {
    if (!s) return "—";
    var d = new Date(s);
    return isNaN(d) ? s : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  // whenExact is when with seconds: a retry a few seconds away reads as one.
  function whenExact(s) {
    if (!s) return "—";
    var d = new Date(s);
    return isNaN(d) ? s : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  }
  function statusBadge(s) {
    var b = el("span", s || "none", "status");
    if (s === "succeeded") b.className += " good";
    if (s === "failed") b.className += " bad";
    return b;
  }
  // labelCells gives each cell its column's name, shown on narrow screens.
  function labelCells(table) {
    var names = Array.from(table.tHead.rows[0].cells).map(function (th) { return th.textContent.trim(); });
    Array.from(table.tBodies[0].rows).forEach(function (tr) {
      Array.from(tr.cells).forEach(function (td, i) { if (names[i] && names[i] !== "Actions") td.setAttribute("data-label", names[i]); });
    });
  }
  function list(x, key) { return Array.isArray(x) ? x : (x && (x[key] || x.items)) || []; }

  window.Watchword = {
    $: $, api: api, errText: errText, missingAPI: missingAPI, say: say, el: el, when: when, whenExact: whenExact,
    statusBadge: statusBadge, labelCells: labelCells, list: list
  };
})();
