/* The header search box: keyboard and pointer behaviour of the results dropdown.
 * htmx fetches the results (hx-get on the input); this file only moves the active option
 * (ArrowUp / ArrowDown), opens it (Enter: the active one, else the first), and closes the
 * panel (Escape, a click elsewhere). Without results, Enter submits the form to the list. */
(function () {
  "use strict";

  function setup(root) {
    var input = root.querySelector(".hsearch__input");
    var panel = root.querySelector(".hsearch__panel");
    var form = root.querySelector("form");
    if (!input || !panel || !form) return;
    var active = -1;

    function options() {
      return Array.prototype.slice.call(panel.querySelectorAll('[role="option"]'));
    }

    function open(state) {
      root.classList.toggle("is-open", state);
      input.setAttribute("aria-expanded", state ? "true" : "false");
      if (!state) {
        input.removeAttribute("aria-activedescendant");
        active = -1;
      }
    }

    function highlight(index) {
      var list = options();
      if (!list.length) return;
      active = (index + list.length) % list.length;
      list.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", list[active].id);
      list[active].scrollIntoView({ block: "nearest" });
    }

    function go(option) {
      var link = option && option.querySelector("a");
      if (link) window.location.assign(link.href);
    }

    input.addEventListener("keydown", function (event) {
      var list = options();
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!list.length) return;
        event.preventDefault();
        open(true);
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        if (!list.length || event.isComposing) return; // composing Chinese: Enter is the IME's
        event.preventDefault();
        go(list[active >= 0 ? active : 0]);
      } else if (event.key === "Escape") {
        if (root.classList.contains("is-open")) {
          event.preventDefault();
          open(false);
        } else {
          input.value = "";
          panel.innerHTML = "";
        }
      }
    });

    input.addEventListener("focus", function () {
      if (panel.children.length && input.value.trim()) open(true);
    });

    panel.addEventListener("htmx:afterSwap", function () {
      active = -1;
      input.removeAttribute("aria-activedescendant");
      open(panel.children.length > 0 && input.value.trim() !== "");
    });

    // htmx answers an emptied box with an empty panel; close at once, without waiting.
    input.addEventListener("input", function () {
      if (!input.value.trim()) {
        panel.innerHTML = "";
        open(false);
      }
    });

    document.addEventListener("click", function (event) {
      if (!root.contains(event.target)) open(false);
    });

    // "/" focuses the box from anywhere but a field (as on many sites).
    document.addEventListener("keydown", function (event) {
      var tag = (event.target && event.target.tagName) || "";
      if (event.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(tag) && !event.target.isContentEditable) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-hsearch]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
