// The what-if sandbox (模拟测算): post the form with fetch as the user types and put the result partial in
// place, so the level and the reasons change without a reload. Without this script the form posts back and
// the page comes again with the same result; the CSRF token travels in the form either way.
(function () {
  "use strict";
  var form = document.querySelector("form[data-sandbox]");
  var target = document.getElementById("sandbox-result");
  if (!form || !target || !window.fetch || !window.FormData) {
    return;
  }
  var timer = null;
  var latest = 0;

  function update() {
    var request = ++latest;
    target.setAttribute("aria-busy", "true");
    window
      .fetch(form.getAttribute("action") || window.location.pathname, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        // An answer to an older request than the last one sent is dropped: the last one wins.
        if (request === latest) {
          target.innerHTML = html;
        }
      })
      .catch(function () {
        if (request === latest) {
          target.innerHTML = '<div class="errors" role="alert"><p>测算请求失败，请点击“测算”按钮重试。</p></div>';
        }
      })
      .then(function () {
        if (request === latest) {
          target.removeAttribute("aria-busy");
        }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 300);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(timer);
    update();
  });
})();
