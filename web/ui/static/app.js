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
