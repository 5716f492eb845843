// Watchword alert pages: the server renders static shells and this file
// fills them from the JSON API (/api/alerts...), with the helpers of
// /static/api.js (the API token is asked for once and kept in
// sessionStorage for the tab's life).
(function () {
  "use strict";
  var app = document.getElementById("app");
  if (!app) return;
  var page = app.getAttribute("data-page");
  var W = window.Watchword; // /static/api.js
  if (!W) return;
  var $ = W.$, api = W.api, errText = W.errText, missingAPI = W.missingAPI, say = W.say, el = W.el,
    when = W.when, whenExact = W.whenExact, statusBadge = W.statusBadge, labelCells = W.labelCells, list = W.list;
  var NO_API = "The alerts API (/api/alerts) is not available on this server, so alerts cannot be shown or changed here.";

  var KINDS = [["speaker", "speaker"], ["country", "country"], ["main_country", "main country"], ["topic", "topic"], ["source", "source"], ["language", "language"]];
  function filterText(f) {
    var parts = [];
    KINDS.forEach(function (k) { (f && f[k[0]] || []).forEach(function (v) { parts.push(k[1] + ": " + v); }); });
    return parts.length ? parts.join(", ") : "none";
  }
  var NEEDS_ONE = "Add a query or a filter: an alert with neither would send every new article.";
  // queryText is how an alert's query reads in the pages.
  function queryText(q) { return q || "(no query: every article that passes the filters)"; }
  function searchURL(a) {
    var p = new URLSearchParams();
    if (a.query) p.append("q", a.query);
    KINDS.forEach(function (k) { (a.filters && a.filters[k[0]] || []).forEach(function (v) { p.append(k[0], v); }); });
    return "/?" + p.toString();
  }

  // ---- schedule preview: 5-field cron and descriptors, in a time zone ----
  var NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12, sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
  function field(spec, lo, hi) {
    var set = {}, any = spec === "*" || spec === "?";
    spec.split(",").forEach(function (part) {
      var m = /^(\*|\?|[a-z0-9]+)(?:-([a-z0-9]+))?(?:\/(\d+))?$/i.exec(part);
      if (!m) throw new Error("bad field " + part);
      var num = function (s) { var n = NAMES[s.toLowerCase()]; n = n === undefined ? Number(s) : n; if (!(n >= lo && n <= hi) && !(hi === 6 && n === 7)) throw new Error(part + " is out of range " + lo + "-" + hi); return hi === 6 && n === 7 ? 0 : n; };
      var a = m[1] === "*" || m[1] === "?" ? lo : num(m[1]);
      var b = m[2] ? num(m[2]) : (m[1] === "*" || m[1] === "?" || m[3] ? hi : a);
      var step = m[3] ? Number(m[3]) : 1;
      if (step < 1 || b < a) throw new Error("bad range " + part);
      for (var i = a; i <= b; i += step) set[i] = true;
    });
    return { any: any, has: function (v) { return !!set[v]; } };
  }
  var DESC = { "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *" };
  function duration(s) {
    var re = /(\d+(?:\.\d+)?)(h|m|s|ms)/g, total = 0, m, used = "";
    while ((m = re.exec(s))) { total += Number(m[1]) * { h: 3600e3, m: 60e3, s: 1e3, ms: 1 }[m[2]]; used += m[0]; }
    if (used !== s || total <= 0) throw new Error("@every needs a duration such as 15m or 1h");
    return total;
  }
  function partsIn(tz) {
    var f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short" });
    return function (t) {
      var o = {};
      f.formatToParts(new Date(t)).forEach(function (p) { o[p.type] = p.value; });
      return { mo: +o.month, d: +o.day, h: +o.hour % 24, mi: +o.minute, wd: NAMES[o.weekday.toLowerCase()] };
    };
  }
  // every returns the interval (ms) of an @every spec, 0 for any other.
  function every(spec) {
    spec = spec.trim();
    return /^@every\s+/.test(spec) ? duration(spec.replace(/^@every\s+/, "")) : 0;
  }
  // nextRuns returns the next n run times (ms) after now, or throws.
  // @every counts from now in whole seconds, as the scheduler does.
  function nextRuns(spec, tz, n, now) {
    spec = spec.trim();
    var d = every(spec);
    if (d) {
      var out = [], from = Math.floor(now / 1000) * 1000;
      for (var i = 1; i <= n; i++) out.push(from + i * d);
      return out;
    }
    spec = DESC[spec] || spec;
    var f = spec.split(/\s+/);
    if (f.length !== 5) throw new Error("a cron spec has 5 fields (minute hour day month weekday), or use @hourly, @daily, @every 30m");
    var mi = field(f[0], 0, 59), h = field(f[1], 0, 23), dom = field(f[2], 1, 31), mo = field(f[3], 1, 12), dow = field(f[4], 0, 6);
    var at = partsIn(tz);
    var res = [];
    var t = Math.floor(now / 60000) * 60000 + 60000;
    var limit = now + 4 * 366 * 864e5;
    while (res.length < n && t < limit) {
      var p = at(t);
      var dayOK = (dom.any || dow.any) ? (dom.has(p.d) && dow.has(p.wd)) : (dom.has(p.d) || dow.has(p.wd));
      if (!mo.has(p.mo) || !dayOK || !h.has(p.h)) { t += (60 - p.mi) * 60000; continue; } // next hour
      if (mi.has(p.mi)) res.push(t);
      t += 60000;
    }
    if (!res.length) throw new Error("this schedule never runs");
    return res;
  }
  // fmtIn formats run times in a zone, with seconds when the runs are not
  // whole minutes apart (@every 15s would otherwise show one minute thrice).
  function fmtIn(tz, seconds) {
    var o = { timeZone: tz, weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
    if (seconds) o.second = "2-digit";
    var f = new Intl.DateTimeFormat(undefined, o);
    return function (t) { return f.format(new Date(t)); };
  }

  // ---- the create/edit form ----
  function setupForm(opts) {
    var form = $("alert-form");
    if (!form) return null;
    var tz = $("a-tz");
    var local = "UTC";
    try { local = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { /* keep UTC */ }
    if (!tz.value) tz.value = local;
    try {
      var dl = $("zones");
      (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [local, "UTC"]).forEach(function (z) { var o = document.createElement("option"); o.value = z; dl.appendChild(o); });
    } catch (e) { /* no list */ }

    function filters() {
      var f = { speaker: [], country: [], main_country: [], topic: [], source: [], language: [] };
      form.querySelectorAll("#a-filters input:checked").forEach(function (c) { f[c.getAttribute("data-kind")].push(c.value); });
      return f;
    }
    function addFilter(kind, value) {
      var li = el("li"), lab = el("label", null, "check chip"), c = el("input");
      c.type = "checkbox"; c.checked = true; c.setAttribute("data-kind", kind); c.value = value;
      c.addEventListener("change", checkQuery);
      lab.appendChild(c); lab.appendChild(document.createTextNode(" " + kind + ": " + value));
      li.appendChild(lab); $("a-filters").appendChild(li);
      $("no-filters").hidden = true;
    }
    $("f-add").addEventListener("click", function () {
      var v = $("f-value").value.trim();
      if (!v) { $("f-value").focus(); return; }
      addFilter($("f-kind").value, v);
      $("f-value").value = "";
      checkQuery();
    });
    form.querySelectorAll("#a-filters input").forEach(function (c) { c.addEventListener("change", checkQuery); });

    // Live query check: how many archive articles match now.
    var qTimer = 0, qSeq = 0, live = $("query-live");
    function anyFilter(f) { return KINDS.some(function (k) { return f[k[0]].length > 0; }); }
    function checkQuery() {
      clearTimeout(qTimer);
      qTimer = setTimeout(function () {
        var q = $("a-query").value;
        var f = filters();
        // An empty query is every article that passes the filters; with
        // no filter either the API refuses the alert.
        if (!q.trim() && !anyFilter(f)) { qSeq++; $("a-query").removeAttribute("aria-invalid"); say(live, NEEDS_ONE, "live bad"); return; }
        var p = new URLSearchParams({ q: q, size: "0", facet_size: "0" });
        KINDS.forEach(function (k) { f[k[0]].forEach(function (v) { p.append(k[0], v); }); });
        var seq = ++qSeq;
        api("GET", "/api/search?" + p.toString(), undefined, checkQuery).then(function (r) {
          if (seq !== qSeq) return;
          live.textContent = "";
          $("a-query").removeAttribute("aria-invalid");
          if (r.status === 200) {
            live.className = "live ok";
            live.textContent = "Matches " + r.data.total + " archive article" + (r.data.total === 1 ? "" : "s") + " now" + (q.trim() ? "." : " (no query: every article that passes the filters).");
          } else if (r.data && r.data.error && r.data.error.code === "query_syntax") {
            live.className = "live bad";
            $("a-query").setAttribute("aria-invalid", "true");
            var e = r.data.error, pos = e.position;
            live.appendChild(el("span", "Syntax error: " + e.message + ". "));
            if (typeof pos === "number") {
              var bytes = new TextEncoder().encode(q);
              var before = new TextDecoder().decode(bytes.slice(0, pos));
              var code = el("code");
              code.appendChild(document.createTextNode(before));
              code.appendChild(el("mark", q.charAt(before.length) || " "));
              code.appendChild(document.createTextNode(q.slice(before.length + 1)));
              live.appendChild(code);
            }
          } else {
            say(live, "Could not check the query: " + errText(r), "live bad");
          }
        });
      }, 300);
    }
    $("a-query").addEventListener("input", checkQuery);

    var sLive = $("schedule-live");
    function checkSchedule() {
      sLive.textContent = "";
      var zone = tz.value.trim() || "UTC";
      try {
        var spec = $("a-schedule").value || "@hourly";
        if (spec.trim().toLowerCase() === "@realtime") {
          say(sLive, "Runs as articles arrive: matches are sent within a few seconds of their ingest.", "live");
          return;
        }
        var runs = nextRuns(spec, zone, 3, Date.now());
        var fmt = fmtIn(zone, every(spec) % 60000 !== 0);
        sLive.className = "live";
        sLive.appendChild(el("span", "Next runs (" + zone + "):"));
        var ol = el("ol");
        runs.forEach(function (t) { ol.appendChild(el("li", fmt(t))); });
        sLive.appendChild(ol);
      } catch (e) {
        say(sLive, e instanceof RangeError ? "Unknown time zone " + zone + "." : "Schedule: " + e.message + ".", "live bad");
      }
    }
    $("a-schedule").addEventListener("input", checkSchedule);
    tz.addEventListener("input", checkSchedule);

    // A read without the token shows the webhook URL without its query
    // string (redacted): saving that back unchanged must not replace the
    // stored URL, so an untouched redacted URL is left out of the PATCH.
    var redactedHook = null;
    function fill(a) {
      redactedHook = a.redacted ? (a.webhook_url || "") : null;
      $("a-name").value = a.name || "";
      $("a-query").value = a.query || "";
      $("a-filters").textContent = "";
      KINDS.forEach(function (k) { (a.filters && a.filters[k[0]] || []).forEach(function (v) { addFilter(k[0], v); }); });
      $("no-filters").hidden = $("a-filters").children.length > 0;
      $("a-schedule").value = a.schedule || "@hourly";
      tz.value = a.timezone || "UTC";
      $("a-webhook").value = a.webhook_url || "";
      $("a-max").value = a.max_matches_per_delivery || 25;
      $("a-enabled").checked = !!a.enabled;
      checkQuery(); checkSchedule();
    }
    function value() {
      var v = {
        name: $("a-name").value.trim(), query: $("a-query").value.trim(), filters: filters(),
        schedule: $("a-schedule").value.trim(), timezone: tz.value.trim(), webhook_url: $("a-webhook").value.trim(),
        enabled: $("a-enabled").checked, max_matches_per_delivery: Number($("a-max").value) || 25
      };
      if (redactedHook !== null && v.webhook_url === redactedHook) delete v.webhook_url;
      return v;
    }
    // The fields an API error message names (alerts/alert.go's messages
    // start with the field).
    var FIELDS = [["name", "a-name"], ["webhook_url", "a-webhook"], ["schedule", "a-schedule"], ["timezone", "a-tz"],
      ["time zone", "a-tz"], ["max_matches_per_delivery", "a-max"], ["query", "a-query"], ["an alert needs a query", "a-query"], ["filters", "f-value"]];
    var marked = [];
    // invalid marks the fields aria-invalid, says why (#form-error is
    // role=alert, so it is announced) and moves the focus to the first.
    function invalid(ids, msg) {
      var err = $("form-error");
      say(err, msg, "error");
      ids.forEach(function (id) {
        var f = $(id);
        f.setAttribute("aria-invalid", "true");
        f.setAttribute("aria-errormessage", "form-error");
        marked.push(f);
      });
      if (ids.length) $(ids[0]).focus();
    }
    function clearInvalid() {
      marked.forEach(function (f) { f.removeAttribute("aria-invalid"); f.removeAttribute("aria-errormessage"); });
      marked = [];
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var err = $("form-error");
      err.hidden = true;
      clearInvalid();
      var v = value();
      var missing = [];
      if (!v.name) missing.push("a-name");
      if (!$("a-webhook").value.trim()) missing.push("a-webhook");
      if (missing.length) { invalid(missing, "Name and webhook URL are required."); return; }
      if (!v.query && !anyFilter(v.filters)) { invalid(["a-query"], NEEDS_ONE); return; }
      $("a-submit").disabled = true;
      var send = function () {
        opts.submit(v).then(function (r) {
          $("a-submit").disabled = false;
          if (r.status === 401) return;
          if (missingAPI(r) && !opts.editing) { say(err, NO_API, "error"); return; }
          if (r.status >= 300 || r.status === 0) {
            var msg = (r.data && r.data.error && r.data.error.message || "").toLowerCase();
            var bad = FIELDS.filter(function (f) { return msg.indexOf(f[0]) === 0; }).map(function (f) { return f[1]; });
            invalid(bad.slice(0, 1), "Not saved: " + errText(r));
            return;
          }
          opts.done(r.data);
        });
      };
      send();
    });
    checkQuery(); checkSchedule();
    return { fill: fill };
  }

  // ---- pages ----
  if (page === "alerts") {
    var load = function () {
      api("GET", "/api/alerts", undefined, load).then(function (r) {
        var st = $("status");
        if (r.status === 401) { say(st, "Enter the API token to see the alerts.", "notice"); return; }
        if (missingAPI(r)) { say(st, NO_API, "error"); return; }
        if (r.status !== 200) { say(st, "Could not load the alerts: " + errText(r), "error"); return; }
        var items = list(r.data, "alerts");
        var body = $("alerts-table").tBodies[0];
        body.textContent = "";
        items.forEach(function (a) {
          var tr = el("tr"), td = el("td"), link = el("a", a.name);
          link.href = "/alerts/" + encodeURIComponent(a.id);
          td.appendChild(link); tr.appendChild(td);
          var q = el("td"), ql = el("a", queryText(a.query)); ql.href = searchURL(a); q.appendChild(ql); tr.appendChild(q);
          tr.appendChild(el("td", a.schedule + (a.timezone && a.timezone !== "UTC" ? " (" + a.timezone + ")" : "")));
          tr.appendChild(el("td", a.enabled ? when(a.next_run_at) : "paused"));
          var ld = el("td"); ld.appendChild(statusBadge(a.last_delivery_status)); tr.appendChild(ld);
          tr.appendChild(el("td", a.enabled ? "yes" : "no"));
          body.appendChild(tr);
        });
        labelCells($("alerts-table"));
        $("alerts-table").hidden = !items.length;
        say(st, items.length ? "" : "No alerts yet. Create one from a search, or with New alert.", "notice");
      });
    };
    load();
  }

  if (page === "alert-new") {
    setupForm({
      submit: function (v) { return api("POST", "/api/alerts", v, function () { $("alert-form").requestSubmit(); }); },
      done: function (a) {
        $("alert-form").hidden = true;
        $("created").hidden = false;
        $("secret").textContent = a.secret || "(the API returned no secret)";
        $("created-link").href = "/alerts/" + encodeURIComponent(a.id);
        $("copy-secret").focus();
      }
    });
  }

  // The copy button of a secret shown once.
  var copyBtn = $("copy-secret");
  if (copyBtn) copyBtn.addEventListener("click", function () {
    var s = $("secret").textContent;
    var ok = function () { $("copy-status").textContent = "Copied."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(s).then(ok, function () { $("copy-status").textContent = "Copy failed: select the text instead."; });
    } else {
      var r = document.createRange(); r.selectNodeContents($("secret"));
      var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
      $("copy-status").textContent = document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C.";
    }
  });

  if (page === "alert") {
    var id = app.getAttribute("data-id");
    var base = "/api/alerts/" + encodeURIComponent(id);
    var current = null;
    var out = $("act-status");
    var form = setupForm({
      editing: true,
      submit: function (v) { return api("PATCH", base, v, function () { $("alert-form").requestSubmit(); }); },
      done: function (a) { $("alert-form").hidden = true; show(a); say(out, "Saved.", "live ok"); $("act-edit").focus(); }
    });
    var show = function (a) {
      current = a;
      document.title = a.name + " · Watchword";
      $("a-title").textContent = a.name;
      $("d-query").textContent = queryText(a.query); $("d-query").href = searchURL(a);
      $("d-filters").textContent = filterText(a.filters);
      $("d-schedule").textContent = a.schedule + " (" + (a.timezone || "UTC") + ")";
      $("d-next").textContent = !a.enabled ? "paused" : a.schedule === "@realtime" ? "as articles arrive" : when(a.next_run_at);
      $("d-feed-since").textContent = a.feed_key_created_at ? "feed link made " + when(a.feed_key_created_at) : "no feed link yet";
      $("d-last").textContent = when(a.last_run_at);
      $("d-delivery").textContent = ""; $("d-delivery").appendChild(statusBadge(a.last_delivery_status));
      $("d-webhook").textContent = a.webhook_url + (a.redacted ? " (query string hidden: reads without the API token show scheme, host and path only)" : "");
      $("d-max").textContent = (a.max_matches_per_delivery || "") + " matches at most";
      $("d-enabled").textContent = a.enabled ? "enabled" : "paused";
      $("act-toggle").textContent = a.enabled ? "Pause" : "Resume";
      $("detail").hidden = false; $("deliveries").hidden = false;
      say($("status"), "");
    };
    var loadAlert = function () {
      api("GET", base, undefined, loadAlert).then(function (r) {
        var st = $("status");
        if (r.status === 401) { say(st, "Enter the API token to see this alert.", "notice"); return; }
        if (r.status === 404) { say(st, "No such alert (or the alerts API is not available on this server): " + errText(r), "error"); return; }
        if (r.status !== 200) { say(st, "Could not load the alert: " + errText(r), "error"); return; }
        show(r.data);
        loadDeliveries();
      });
    };
    var loadDeliveries = function () {
      api("GET", base + "/deliveries", undefined, loadDeliveries).then(function (r) {
        if (r.status !== 200) { say($("deliveries-empty"), "Could not load deliveries: " + errText(r), "error"); return; }
        var items = list(r.data, "deliveries");
        var body = $("deliveries-table").tBodies[0];
        body.textContent = "";
        items.forEach(function (d) {
          var tr = el("tr");
          tr.appendChild(el("td", when(d.created_at)));
          tr.appendChild(el("td", d.type || ""));
          var s = el("td"); s.appendChild(statusBadge(d.status));
          if (d.last_status_code) s.appendChild(document.createTextNode(" HTTP " + d.last_status_code));
          tr.appendChild(s);
          tr.appendChild(el("td", String(d.attempts || 0)));
          // A delivery still in the outbox shows when it is tried next;
          // a retrying one can be tried at once, a finished one sent again.
          var queued = d.status === "pending" || d.status === "retrying";
          var next = el("td");
          if (queued && d.next_attempt_at) {
            var tm = el("time", whenExact(d.next_attempt_at));
            tm.setAttribute("datetime", d.next_attempt_at);
            next.appendChild(tm);
          } else {
            next.textContent = "—";
          }
          next.className = "next-attempt";
          tr.appendChild(next);
          // The articles it carried, titles linked to their pages; the
          // ones deleted since (or past the list's bound) are counted.
          var arts = el("td"), shown = d.articles || [], ids = d.article_ids || [];
          if (shown.length) {
            var ul = el("ul", null, "sent-articles");
            shown.forEach(function (m) {
              var li = el("li"), a = el("a", m.title || m.id);
              a.href = "/articles/" + encodeURIComponent(m.id);
              li.appendChild(a);
              ul.appendChild(li);
            });
            arts.appendChild(ul);
          }
          if (ids.length > shown.length) arts.appendChild(el("span", (shown.length ? "and " : "") + (ids.length - shown.length) + " article(s) no longer listed", "hint"));
          if (!ids.length) arts.textContent = "—";
          tr.appendChild(arts);
          tr.appendChild(el("td", d.last_error || ""));
          var act = el("td");
          var button = function (label, path, okMsg, failMsg) {
            var b = el("button", label, "secondary needs-write");
            b.type = "button";
            b.addEventListener("click", function () {
              var go = function () {
                b.disabled = true;
                api("POST", "/api/deliveries/" + encodeURIComponent(d.id) + path, undefined, go).then(function (r2) {
                  b.disabled = false;
                  if (r2.status === 401) return;
                  say(out, r2.status < 300 ? okMsg : failMsg + ": " + errText(r2), r2.status < 300 ? "live ok" : "live bad");
                  loadDeliveries();
                });
              };
              go();
            });
            act.appendChild(b);
          };
          if (d.status === "retrying") button("Retry now", "/retry", "Retrying now.", "Retry failed");
          else if (!queued) button("Redeliver", "/redeliver", "Redelivery queued.", "Redeliver failed");
          else act.appendChild(el("span", "due now", "hint"));
          tr.appendChild(act);
          body.appendChild(tr);
        });
        labelCells($("deliveries-table"));
        $("deliveries-table").hidden = !items.length;
        say($("deliveries-empty"), items.length ? "" : "No deliveries yet.", "hint");
      });
    };
    var action = function (method, path, body, label, after) {
      var go = function () {
        say(out, label + "…", "live");
        api(method, path, body, go).then(function (r) {
          if (r.status === 401) { say(out, ""); return; }
          if (r.status >= 300 || r.status === 0) { say(out, label + " failed: " + errText(r), "live bad"); return; }
          after(r.data);
        });
      };
      go();
    };
    $("act-toggle").addEventListener("click", function () {
      var on = !current.enabled;
      action("PATCH", base, { enabled: on }, on ? "Resuming" : "Pausing", function (a) { show(a && a.id ? a : Object.assign(current, { enabled: on })); say(out, on ? "Resumed." : "Paused: no deliveries until resumed.", "live ok"); });
    });
    $("act-run").addEventListener("click", function () {
      action("POST", base + "/run", undefined, "Running", function (r) {
        var m = r && typeof r.matches === "number" ? r.matches + " new match" + (r.matches === 1 ? "" : "es") + ", " + (r.deliveries || 0) + " deliver" + (r.deliveries === 1 ? "y" : "ies") + " queued." : "Run done.";
        say(out, "Ran now: " + m, "live ok");
        loadAlert();
      });
    });
    $("act-test").addEventListener("click", function () {
      action("POST", base + "/test", undefined, "Sending a test event", function (r) {
        if (r && r.ok) say(out, "Test webhook delivered: the receiver answered HTTP " + r.status_code + ".", "live ok");
        else say(out, "Test webhook failed: " + (r && r.status_code ? "the receiver answered HTTP " + r.status_code : "no answer") + (r && r.error ? " (" + r.error + ")" : "") + ".", "live bad");
      });
    });
    $("act-preview").addEventListener("click", function () {
      action("GET", base + "/preview", undefined, "Loading the preview", function (p) {
        var box = $("preview");
        box.textContent = "";
        var ms = (p && p.matches) || [];
        box.appendChild(el("p", (p && p.total_new != null ? p.total_new : ms.length) + " new article(s) would be sent at the next run."));
        var ul = el("ul");
        ms.forEach(function (m) { var li = el("li"), a = el("a", m.title); a.href = "/articles/" + encodeURIComponent(m.id); li.appendChild(a); ul.appendChild(li); });
        box.appendChild(ul);
        box.hidden = false;
        say(out, "");
      });
    });
    $("act-edit").addEventListener("click", function () { form.fill(current); $("alert-form").hidden = false; $("a-name").focus(); });
    // Cancel and Save hide the form: the focus goes back to Edit, not to
    // the body.
    $("a-cancel").addEventListener("click", function () { $("alert-form").hidden = true; $("act-edit").focus(); });
    $("act-delete").addEventListener("click", function () {
      if (!window.confirm("Delete the alert “" + current.name + "” and its delivery log? This cannot be undone.")) return;
      action("DELETE", base, undefined, "Deleting", function () { window.location.assign("/alerts"); });
    });
    $("act-rotate").addEventListener("click", function () {
      if (!window.confirm("Make a new signing secret? The old one keeps signing beside it for 24 hours.")) return;
      action("POST", base + "/rotate-secret", undefined, "Rotating the secret", function (a) {
        $("secret").textContent = (a && a.secret) || "(the API returned no secret)";
        var prev = a && a.previous_secrets && a.previous_secrets[0];
        $("rotated-grace").textContent = prev
          ? "The old secret keeps signing beside it until " + new Date(prev.expires_at).toLocaleString() + ": update your receiver before then."
          : "The old secret no longer signs deliveries: update your receiver.";
        $("rotated").hidden = false;
        say(out, "");
        $("copy-secret").focus();
      });
    });
    $("act-feed").addEventListener("click", function () {
      if (current.feed_key_created_at && !window.confirm("Make a new feed link? The current one stops working at once.")) return;
      action("POST", base + "/feed-key", undefined, "Making a feed link", function (r) {
        $("feed-url").textContent = (r && r.feed_url) || "(the API returned no feed link)";
        $("feed-new").hidden = false;
        say(out, "");
        loadAlert();
      });
    });
    $("refresh").addEventListener("click", loadAlert); // the alert (last delivery status) and its log
    loadAlert();
  }
})();
