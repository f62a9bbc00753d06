/* The term form's "Suggested related terms": each "Add" puts its term in the related
   terms field as if it had been chosen there. That field is the admin's autocomplete
   (select2 over a <select multiple>): the term becomes a selected <option>, and a change
   event tells select2 to show it and the unsaved-changes guard that the form changed.
   Without JavaScript the buttons stay hidden and the list is only a list. */
(function () {
  "use strict";

  function optionOf(select, value) {
    return Array.prototype.find.call(select.options, function (option) {
      return option.value === value;
    });
  }

  function choose(select, value, title) {
    var option = optionOf(select, value);
    if (option) {
      option.selected = true;
    } else {
      select.appendChild(new Option(title, value, false, true));
    }
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function onChange(select, listener) {
    // select2 announces a choice removed with its own jQuery event, which listeners
    // added with addEventListener do not hear; jQuery's own handlers hear both.
    var jQuery = window.django && window.django.jQuery;
    if (jQuery) {
      jQuery(select).on("change", listener);
    } else {
      select.addEventListener("change", listener);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-related-suggestions]").forEach(function (panel) {
      var select = document.getElementById(panel.dataset.field);
      if (!select) return;
      var buttons = Array.prototype.slice.call(panel.querySelectorAll("button[data-term]"));

      function showWhatIsChosen() {
        buttons.forEach(function (button) {
          var option = optionOf(select, button.dataset.term);
          var chosen = Boolean(option && option.selected);
          button.disabled = chosen;
          button.textContent = chosen ? panel.dataset.addedLabel : button.dataset.addLabel;
        });
      }

      buttons.forEach(function (button) {
        button.dataset.addLabel = button.textContent;
        button.hidden = false;
        button.addEventListener("click", function () {
          choose(select, button.dataset.term, button.dataset.title);
        });
      });
      onChange(select, showWhatIsChosen);
      showWhatIsChosen();
    });
  });
})();
