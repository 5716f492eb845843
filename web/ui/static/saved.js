// The saved searches page: lists the key's saved searches from
// /api/saved-searches, saves the search the page was opened with, and
// renames and deletes. Uses window.Watchword (api.js).
(function () {
  "use strict";
  var W = window.Watchword;
  if (!W || !document.getElementById("saved-table")) return;
  var $ = W.$, api = W.api, say = W.say, el = W.el, errText = W.errText;
  var LISTS = ["speaker", "country", "main_country", "topic", "source", "language"];

  // searchParams turns a saved search into the search page's URL
  // parameters.
  function searchParams(s) {
    var p = new URLSearchParams();
    if (s.query) p.set("q", s.query);
    LISTS.forEach(function (k) { ((s.filters || {})[k] || []).forEach(function (v) { p.append(k, v); }); });
    if (s.from) p.set("from", s.from);
    if (s.to) p.set("to", s.to);
    if (s.sort) p.set("sort", s.sort);
    return p;
  }
  function describe(s) {
    var parts = [];
    if (s.query) parts.push(s.query);
    LISTS.forEach(function (k) { ((s.filters || {})[k] || []).forEach(function (v) { parts.push(k + ": " + v); }); });
    var rel = { "now-24h": "last 24 hours", "now-7d": "last 7 days", "now-30d": "last 30 days" };
    if (s.from && !s.to && rel[s.from]) parts.push("date: " + rel[s.from]);
    else if (s.from || s.to) parts.push("date: " + (s.from || "…") + " – " + (s.to || "now"));
    return parts.join(", ") || "every article";
  }

  function load() {
    api("GET", "/api/saved-searches", undefined, load).then(function (r) {
      var st = $("status");
      if (r.status === 401) { say(st, "Enter an API key to see your saved searches.", "notice"); return; }
      if (r.status !== 200) { say(st, "Could not load the saved searches: " + errText(r), "error"); return; }
      var items = W.list(r.data, "saved_searches");
      var body = $("saved-table").tBodies[0];
      body.textContent = "";
      items.forEach(function (s) {
        var tr = el("tr"), name = el("td"), open = el("a", s.name);
        open.href = "/?" + searchParams(s).toString();
        name.appendChild(open); tr.appendChild(name);
        tr.appendChild(el("td", describe(s)));
        tr.appendChild(el("td", W.when(s.updated_at)));
        var acts = el("td", null, "actions");
        var alert = el("a", "Create alert");
        alert.href = "/alerts/new?" + searchParams(s).toString();
        alert.className = "needs-write";
        acts.appendChild(alert);
        var ren = el("button", "Rename", "secondary small");
        ren.type = "button";
        ren.setAttribute("aria-label", "Rename " + s.name);
        ren.addEventListener("click", function () {
          var n = window.prompt("New name for “" + s.name + "”", s.name);
          if (n === null || !n.trim()) return;
          api("PATCH", "/api/saved-searches/" + encodeURIComponent(s.id), { name: n.trim() }).then(function (r) {
            if (r.status !== 200) { say($("status"), "Not renamed: " + errText(r), "error"); return; }
            say($("status"), "Renamed to “" + r.data.name + "”.", "notice");
            load();
          });
        });
        acts.appendChild(ren);
        var del = el("button", "Delete", "secondary small danger");
        del.type = "button";
        del.setAttribute("aria-label", "Delete " + s.name);
        del.addEventListener("click", function () {
          if (!window.confirm("Delete the saved search “" + s.name + "”?")) return;
          api("DELETE", "/api/saved-searches/" + encodeURIComponent(s.id)).then(function (r) {
            if (r.status !== 200) { say($("status"), "Not deleted: " + errText(r), "error"); return; }
            say($("status"), "Deleted “" + s.name + "”.", "notice");
            load();
          });
        });
        acts.appendChild(del);
        tr.appendChild(acts);
        body.appendChild(tr);
      });
      W.labelCells($("saved-table"));
      $("saved-table").hidden = !items.length;
      if (items.length) say(st, "", "notice");
      else say(st, "No saved searches yet. Use “Save this search” on a search.", "notice");
    });
  }

  var form = $("save-form");
  if (form) form.addEventListener("submit", function (e) {
    e.preventDefault();
    var s = { query: "", filters: {} };
    form.querySelectorAll("input[data-param]").forEach(function (inp) {
      var k = inp.getAttribute("data-param"), v = inp.value;
      if (k === "q") s.query = v;
      else if (k === "from" || k === "to" || k === "sort") s[k] = v;
      else if (LISTS.indexOf(k) >= 0) (s.filters[k] = s.filters[k] || []).push(v);
    });
    var send = function () {
      api("POST", "/api/saved-searches", { name: $("s-name").value, search: s }, send).then(function (r) {
        if (r.status === 401) return; // the token form asks; send runs again
        if (r.status !== 201) { say($("save-error"), "Not saved: " + errText(r), "error"); return; }
        form.hidden = true;
        say($("status"), "Saved “" + r.data.name + "”.", "notice");
        load();
      });
    };
    send();
  });
  load();
})();
