/* Behaviour that Flask-Admin's templates put in inline handlers and javascript: links, moved here so that the
   pages work under a Content-Security-Policy without 'unsafe-inline' (see templates/admin/*). */
(function () {
  "use strict";
  var VOID = "a[href='javascript:void(0)']";

  function disarm(root) {
    /* A javascript: URL is script to the browser; the menus and filters only need a link that goes nowhere. */
    Array.prototype.forEach.call(root.querySelectorAll(VOID), function (link) {
      link.setAttribute("href", "#");
      link.setAttribute("role", "button");
    });
  }
  disarm(document);
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      Array.prototype.forEach.call(record.addedNodes, function (node) {
        if (node.nodeType === 1) { disarm(node.parentNode || node); }
      });
    });
  }).observe(document.body, { childList: true, subtree: true });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-gk-action],[data-gk-add-inline],[data-gk-print],[data-gk-back],a[href='#']");
    if (!target) { return; }
    if (target.hasAttribute("data-gk-action")) {
      event.preventDefault();
      window.modelActions.execute(target.getAttribute("data-gk-action"));
    } else if (target.hasAttribute("data-gk-add-inline")) {
      event.preventDefault();
      window.faForm.addInlineField(target, target.getAttribute("data-gk-add-inline"));
    } else if (target.hasAttribute("data-gk-print")) {
      window.print();
    } else if (target.hasAttribute("data-gk-back")) {
      window.history.back();
    } else {
      event.preventDefault(); /* links that go nowhere: menus, filters */
    }
  });
  /* The × of the last 组合查询 condition shows the list without conditions at once (its 重置筛选 link; a list
     of one batch's rows then shows every batch) instead of hiding the 应用 button. */
  document.addEventListener("click", function (event) {
    var remove = event.target.closest("#filter_form .remove-filter");
    if (!remove) { return; }
    var form = remove.closest("form");
    var reset = form.querySelector(".pull-right a.btn-secondary");
    if (reset && form.querySelectorAll(".remove-filter").length === 1) {
      event.preventDefault();
      event.stopPropagation();
      window.location.assign(reset.getAttribute("href"));
    }
  }, true);
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-gk-confirm]");
    if (button && !window.confirm(button.getAttribute("data-gk-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
}());
