/* The term and category forms ask the browser's "Leave site?" question when the page is
   left with changes that were not saved. Changed means: differs from what the page was
   loaded with, so typing and undoing back is no change, and an inline row added by
   "Add another" is one only once something is typed in it. Saving disarms it; the
   "Preview" button (it opens a new tab and saves nothing) does not. */
(function () {
  "use strict";

  var MANAGEMENT_FIELD = /-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/;

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return (
        field.name &&
        !field.disabled &&
        field.name !== "csrfmiddlewaretoken" &&
        !/__prefix__/.test(field.name) &&
        !MANAGEMENT_FIELD.test(field.name) &&
        !/^(submit|button|reset|image|file)$/.test(field.type)
      );
    });
  }

  /* What the field holds now, or (initial) what it held when the server rendered it: the
     latter for rows added on this page. */
  function read(field, initial) {
    if (field.type === "checkbox" || field.type === "radio") {
      return String(initial ? field.defaultChecked : field.checked);
    }
    if (field.tagName === "SELECT") {
      return Array.prototype.filter.call(field.options, function (option) {
        return initial ? option.defaultSelected : option.selected;
      }).map(function (option) { return option.value; }).join("\n");
    }
    return initial ? field.defaultValue : field.value;
  }

  function valueOf(field) { return read(field, false); }
  function defaultOf(field) { return read(field, true); }

  function keyOf(field) {
    return field.type === "radio" ? field.name + "=" + field.value : field.name;
  }

  function snapshot(form) {
    var state = {};
    fields(form).forEach(function (field) { state[keyOf(field)] = valueOf(field); });
    return state;
  }

  function changed(form, initial) {
    var seen = {};
    var differs = fields(form).some(function (field) {
      var key = keyOf(field);
      seen[key] = true;
      var before = Object.prototype.hasOwnProperty.call(initial, key) ? initial[key] : defaultOf(field);
      return valueOf(field) !== before;
    });
    // A row that was there and is gone (removed from the page) is a change too.
    return differs || Object.keys(initial).some(function (key) { return !seen[key]; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The change (or add) form: Django names it "<model>_form".
    var form = document.querySelector('#content-main form[id$="_form"]');
    if (!form) return;
    var initial = snapshot(form);
    // Shown again with errors: what it holds was not saved.
    var unsavedFromTheStart = Boolean(form.querySelector(".errornote"));
    var saving = false;

    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      var elsewhere = button && button.formTarget && button.formTarget !== "_self";
      if (!elsewhere) saving = true;
    });

    window.addEventListener("beforeunload", function (event) {
      if (saving || !(unsavedFromTheStart || changed(form, initial))) return;
      event.preventDefault();
      event.returnValue = ""; // older browsers ask only when this is set
    });
    // Back to this page from the browser's cache after a save that did not leave it.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) saving = false;
    });
  });
})();
