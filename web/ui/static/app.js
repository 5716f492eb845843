// Watchword: small progressive enhancements for the server-rendered pages.
// Everything works without this file; it only saves clicks.
(function () {
  "use strict";
  // Empty fields stay out of the URL (q=x rather than q=x&from=&to=&sort=).
  document.querySelectorAll("form.search").forEach(function (f) {
    f.addEventListener("formdata", function (e) {
      Array.from(e.formData.entries()).forEach(function (kv) {
        if (kv[0] !== "q" && kv[1] === "") e.formData.delete(kv[0]);
      });
    });
  });
  // Signing in (under --private) also keeps the token for this tab, so
  // the alert pages, which call the API with it, need not ask again.
  var login = document.querySelector("form[action='/login']");
  if (login) login.addEventListener("submit", function () {
    try { sessionStorage.setItem("watchword.token", login.elements.token.value.trim()); } catch (e) { /* storage off */ }
  });
  var logout = document.getElementById("logout");
  if (logout) logout.addEventListener("submit", function () {
    try { sessionStorage.removeItem("watchword.token"); } catch (e) { /* storage off */ }
  });
  // The time picker: a date typed in a field replaces a relative range
  // (Last 7 days), which the form otherwise sends in hidden fields.
  document.querySelectorAll("#dates input[type=date][data-name]").forEach(function (inp) {
    inp.addEventListener("change", function () {
      document.querySelectorAll("#dates input[data-relative]").forEach(function (h) { h.remove(); });
      document.querySelectorAll("#dates input[type=date][data-name]").forEach(function (d) { d.name = d.getAttribute("data-name"); });
    });
  });
  // Facet filter boxes narrow the values on the page as you type; the
  // form (Enter) asks the server for more values that match.
  function fold(s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  document.querySelectorAll("input[data-facet]").forEach(function (inp) {
    var list = document.getElementById("fv-" + inp.getAttribute("data-facet"));
    if (!list) return;
    var none = list.parentNode.querySelector(".facet-none");
    inp.addEventListener("input", function () {
      var want = fold(inp.value.trim()), shown = 0;
      Array.from(list.children).forEach(function (li) {
        var name = li.querySelector(".name");
        var ok = !want || fold(name ? name.textContent : li.textContent).indexOf(want) >= 0;
        li.hidden = !ok;
        if (ok) shown++;
      });
      if (none) none.hidden = shown > 0;
    });
  });
  // The histogram's brush: drag across bars to zoom to their dates. With
  // the keyboard: Shift+Arrow from a bar widens the range, Enter zooms.
  document.querySelectorAll("figure.hist[data-brush]").forEach(function (fig) {
    var bars = Array.from(fig.querySelectorAll("a[data-from]"));
    if (bars.length < 2) return;
    var live = document.createElement("p");
    live.className = "vh";
    live.setAttribute("aria-live", "polite");
    fig.appendChild(live);
    var anchor = -1, end = -1, dragged = false;
    function mark() {
      var lo = Math.min(anchor, end), hi = Math.max(anchor, end);
      bars.forEach(function (b, i) { b.classList.toggle("brushed", anchor >= 0 && i >= lo && i <= hi); });
    }
    function zoom() {
      var lo = Math.min(anchor, end), hi = Math.max(anchor, end);
      var u = fig.getAttribute("data-brush");
      u += (u.indexOf("?") >= 0 ? "&" : "?") + "from=" + encodeURIComponent(bars[lo].getAttribute("data-from")) +
        "&to=" + encodeURIComponent(bars[hi].getAttribute("data-to"));
      window.location.href = u;
    }
    function barAt(e) {
      var el = document.elementFromPoint(e.clientX, e.clientY);
      var a = el && el.closest ? el.closest("a[data-from]") : null;
      return a ? bars.indexOf(a) : -1;
    }
    fig.addEventListener("pointerdown", function (e) {
      var i = barAt(e);
      if (i < 0 || e.button !== 0) return;
      anchor = end = i; dragged = false;
      mark();
      e.preventDefault();
    });
    fig.addEventListener("pointermove", function (e) {
      if (anchor < 0) return;
      var i = barAt(e);
      if (i >= 0 && i !== end) { end = i; dragged = dragged || end !== anchor; mark(); }
    });
    document.addEventListener("pointerup", function () {
      if (anchor < 0) return;
      if (dragged) zoom(); else { anchor = end = -1; mark(); }
    });
    fig.addEventListener("click", function (e) { if (dragged) e.preventDefault(); }, true);
    bars.forEach(function (b, i) {
      b.addEventListener("keydown", function (e) {
        if (e.shiftKey && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
          if (anchor < 0) anchor = end = i;
          end = Math.max(0, Math.min(bars.length - 1, end + (e.key === "ArrowRight" ? 1 : -1)));
          bars[end].focus();
          mark();
          var lo = Math.min(anchor, end), hi = Math.max(anchor, end);
          live.textContent = "Selected " + bars[lo].getAttribute("data-from") + " to " + bars[hi].getAttribute("data-to") + ". Press Enter to zoom.";
          e.preventDefault();
        } else if (e.key === "Enter" && anchor >= 0 && anchor !== end) {
          e.preventDefault();
          zoom();
        } else if (e.key === "Escape" && anchor >= 0) {
          anchor = end = -1; mark(); live.textContent = "Selection cleared.";
        }
      });
    });
  });
  // "/" focuses the query box (unless typing in a field).
  var q = document.getElementById("q");
  if (q) {
    document.addEventListener("keydown", function (e) {
      var t = e.target.tagName;
      if (e.key === "/" && t !== "INPUT" && t !== "TEXTAREA" && t !== "SELECT" && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        q.focus();
        q.select();
      }
    });
  }
})();
