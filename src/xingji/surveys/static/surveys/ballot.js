// The link on a survey slip carries its code in the fragment (/ballot/#t=CODE), which browsers never send
// to a server. Put it into the form, clear it from the address bar and history, and go on to the questions.
(function () {
  "use strict";
  var match = /(?:^#|&)t=([0-9A-Za-z-]+)/.exec(window.location.hash || "");
  if (!match) {
    return;
  }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  var field = document.getElementById("id_code");
  if (!field) {
    return;
  }
  field.value = match[1];
  field.form.submit();
})();
