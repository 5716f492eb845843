// Watchword feeds page: the server renders a static shell and this file
// fills it from the JSON API (/api/feeds...), with the helpers of
// /static/api.js.
(function () {
  "use strict";
  var app = document.getElementById("app");
  var W = window.Watchword;
  if (!app || !W || app.getAttribute("data-page") !== "feeds") return;
  var $ = W.$, api = W.api, errText = W.errText, missingAPI = W.missingAPI, say = W.say, el = W.el,
    when = W.when, labelCells = W.labelCells, list = W.list;
  var NO_API = "The feeds API (/api/feeds) is not available on this server, so feeds cannot be shown or changed here.";
  var out = $("act-status");

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function name(f) { return f.source || f.title || f.url; }

  // badge shows a feed's state: paused, not polled yet, ok, not modified,
  // or failing (with the count of failures in a row).
  function badge(f) {
    var b = el("span", "", "status");
    if (!f.enabled) b.textContent = "paused";
    else if (!f.last_status) b.textContent = "not polled yet";
    else if (f.last_status === "error") {
      b.textContent = f.consecutive_failures > 1 ? "failing ×" + f.consecutive_failures : "failed";
      b.className += " bad";
    } else {
      b.textContent = f.last_status === "not_modified" ? "not modified" : "ok";
      b.className += " good";
    }
    return b;
  }

  // pollText describes a poll result in a sentence.
  function pollText(label, r) {
    if (r.status === "error") return label + ": the poll failed: " + (r.error || "unknown error") + ".";
    if (r.status === "not_modified") return label + ": not modified since the last poll (HTTP 304).";
    var parts = [plural(r.added, "new article", "new articles")];
    if (r.updated) parts.push(plural(r.updated, "updated", "updated"));
    if (r.rejected) parts.push(plural(r.rejected, "entry rejected", "entries rejected"));
    return label + ": " + parts.join(", ") + " (" + plural(r.entries, "entry", "entries") + " in the feed).";
  }

  function poll(f, done) {
    var go = function () {
      say(out, "Polling " + name(f) + "…", "live");
      api("POST", "/api/feeds/" + encodeURIComponent(f.id) + "/poll", undefined, go).then(function (r) {
        if (r.status === 401) { say(out, ""); return; }
        if (r.status !== 200) { say(out, "Poll failed: " + errText(r), "live bad"); return; }
        say(out, pollText(name(r.data.feed || f), r.data), r.data.status === "error" ? "live bad" : "live ok");
        if (done) done();
      });
    };
    go();
  }

  function row(f) {
    var tr = el("tr");
    var fd = el("td"), box = el("div", null, "feed-name");
    box.appendChild(el("strong", name(f)));
    var u = el("span", f.url, "feed-url");
    if (f.redacted) u.title = "Query string hidden: reads without the API token show scheme, host and path only.";
    box.appendChild(u);
    fd.appendChild(box); tr.appendChild(fd);
    tr.appendChild(el("td", f.schedule, "nowrap"));
    tr.appendChild(el("td", when(f.last_polled_at)));
    var st = el("td"), sb = el("div", null, "feed-status");
    sb.appendChild(badge(f));
    if (f.last_status === "error" && f.last_error) sb.appendChild(el("span", f.last_error, "feed-error"));
    if (f.backoff_until && f.consecutive_failures > 1) sb.appendChild(el("span", "backing off: polls spaced out until it recovers", "hint"));
    st.appendChild(sb); tr.appendChild(st);
    var ar = el("td");
    if (f.items_ingested > 0 && f.source) {
      var a = el("a", plural(f.items_ingested, "article", "articles"));
      a.href = "/?" + new URLSearchParams({ source: f.source, sort: "newest" }).toString();
      ar.appendChild(a);
    } else {
      ar.textContent = plural(f.items_ingested || 0, "article", "articles");
    }
    tr.appendChild(ar);
    tr.appendChild(el("td", f.enabled ? when(f.next_poll_at) : "paused"));
    var act = el("td"), tools = el("div", null, "row-actions");
    var pb = el("button", "Poll now", "secondary poll needs-write");
    pb.type = "button";
    pb.addEventListener("click", function () { poll(f, load); });
    var tb = el("button", f.enabled ? "Pause" : "Resume", "secondary toggle needs-write");
    tb.type = "button";
    tb.addEventListener("click", function () {
      var go = function () {
        api("PATCH", "/api/feeds/" + encodeURIComponent(f.id), { enabled: !f.enabled }, go).then(function (r) {
          if (r.status === 401) return;
          if (r.status !== 200) { say(out, "Could not change the feed: " + errText(r), "live bad"); return; }
          say(out, name(f) + (f.enabled ? ": paused." : ": resumed."), "live ok");
          load();
        });
      };
      go();
    });
    var db = el("button", "Delete", "danger delete needs-write");
    db.type = "button";
    db.addEventListener("click", function () {
      if (!window.confirm("Delete the feed “" + name(f) + "”? Its " + plural(f.items_ingested || 0, "article stays", "articles stay") + " searchable.")) return;
      var go = function () {
        api("DELETE", "/api/feeds/" + encodeURIComponent(f.id), undefined, go).then(function (r) {
          if (r.status === 401) return;
          if (r.status !== 200) { say(out, "Delete failed: " + errText(r), "live bad"); return; }
          say(out, "Deleted " + name(f) + ".", "live ok");
          load();
        });
      };
      go();
    });
    tools.appendChild(pb); tools.appendChild(tb); tools.appendChild(db);
    act.appendChild(tools); tr.appendChild(act);
    return tr;
  }

  function load() {
    api("GET", "/api/feeds", undefined, load).then(function (r) {
      var st = $("status");
      if (r.status === 401) { say(st, "Enter the API token to see the feeds.", "notice"); return; }
      if (missingAPI(r) || r.status === 503) { say(st, NO_API, "error"); return; }
      if (r.status !== 200) { say(st, "Could not load the feeds: " + errText(r), "error"); return; }
      var items = list(r.data, "feeds");
      var body = $("feeds-table").tBodies[0];
      body.textContent = "";
      items.forEach(function (f) { body.appendChild(row(f)); });
      labelCells($("feeds-table"));
      $("feeds-table").hidden = !items.length;
      say(st, items.length ? "" : "No feeds yet. Add one above.", "notice");
    });
  }

  // The add form: create, then poll at once and say what came in.
  var form = $("feed-form"), err = $("form-error");
  // invalid marks a field aria-invalid, says why (#form-error is
  // role=alert: announced) and moves the focus to it. An API error names
  // its field first ("schedule …", "source …", "url …").
  var FIELDS = [["schedule", "f-schedule"], ["source", "f-source"], ["url", "f-url"]];
  function invalid(id, msg) {
    say(err, msg, "error");
    if (!id) return;
    $(id).setAttribute("aria-invalid", "true");
    $(id).setAttribute("aria-errormessage", "form-error");
    $(id).focus();
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    err.hidden = true;
    FIELDS.forEach(function (f) { $(f[1]).removeAttribute("aria-invalid"); $(f[1]).removeAttribute("aria-errormessage"); });
    var v = { url: $("f-url").value.trim(), schedule: $("f-schedule").value.trim() };
    var src = $("f-source").value.trim();
    if (src) v.source = src;
    if (!v.url) { invalid("f-url", "The feed URL is required."); return; }
    if (!v.schedule) delete v.schedule;
    $("f-submit").disabled = true;
    var send = function () {
      api("POST", "/api/feeds", v, send).then(function (r) {
        $("f-submit").disabled = false;
        if (r.status === 401) return;
        if (missingAPI(r) || r.status === 503) { say(err, NO_API, "error"); return; }
        if (r.status !== 201) {
          var msg = (r.data && r.data.error && r.data.error.message || "").toLowerCase();
          var bad = FIELDS.filter(function (f) { return msg.indexOf(f[0]) === 0; })[0];
          invalid(bad ? bad[1] : null, "Not added: " + errText(r));
          return;
        }
        form.reset();
        load();
        poll(r.data, load);
      });
    };
    send();
  });

  $("refresh").addEventListener("click", load);
  load();
})();
