// The member table: "select all on this page", the selection count, the bulk action's own
// input, and opening a saved view on choosing it. Works again after every htmx swap.
(function () {
  "use strict";

  function update(form) {
    var boxes = form.querySelectorAll('input[name="ids"]');
    var ticked = form.querySelectorAll('input[name="ids"]:checked').length;
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    var count = form.querySelector("[data-selected-count]");
    if (count) {
      count.textContent = ticked
        ? (document.documentElement.lang.indexOf("zh") === 0 ? "已选 " + ticked + " 位" : ticked + " selected")
        : count.getAttribute("data-empty") || count.textContent;
    }
  }

  function showAction(form) {
    var select = form.querySelector("[data-bulk-action]");
    if (!select) return;
    form.querySelectorAll("[data-bulk-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-bulk-for") !== select.value;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-autosubmit]")) {
      target.form.submit();
      return;
    }
    var form = target.closest("#bulk");
    if (!form) return;
    if (target.matches("[data-select-all]")) {
      form.querySelectorAll('input[name="ids"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-bulk-action]")) showAction(form);
    update(form);
  });

  function init() {
    var form = document.getElementById("bulk");
    if (!form) return;
    var count = form.querySelector("[data-selected-count]");
    if (count && !count.getAttribute("data-empty")) count.setAttribute("data-empty", count.textContent);
    showAction(form);
    update(form);
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
