/* Suggest-as-you-type for the glossary's search box: each input[data-suggest-url] gets an
   ARIA combobox whose listbox shows the terms /api/v1/suggest/ offers for what has been
   typed. Picking one (Up/Down then Enter, or a click) goes to the term's page; Escape
   closes the list; Enter with nothing picked submits the form, the normal search, which
   is also all there is without JavaScript. No inline script or style (the
   Content-Security-Policy allows none). */
(function () {
  "use strict";

  var SUGGEST_DELAY_MS = 150;

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function combobox(input) {
    var listId = input.id + "-suggestions";
    var list = element("ul", { id: listId, class: "search-suggestions", role: "listbox", "aria-label": "Suggested terms", hidden: "" });
    var announcer = element("p", { class: "visually-hidden", role: "status" });
    var results = [];
    var active = -1;
    var timer = null;
    var latest = 0;
    var pending = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");
    input.parentNode.classList.add("search-suggest");
    input.parentNode.append(list, announcer);

    function close() {
      clearTimeout(timer);
      if (pending) pending.abort();
      latest += 1;
      results = [];
      active = -1;
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, position) {
        option.setAttribute("aria-selected", position === index ? "true" : "false");
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", list.children[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      results = found;
      list.textContent = "";
      found.forEach(function (term, index) {
        var option = element("li", { id: listId + "-" + index, role: "option", "aria-selected": "false" });
        option.append(element("span", { class: "search-suggestions__title" }, term.title));
        if (term.matched_alias) {
          option.append(element("span", { class: "search-suggestions__note" }, " — “" + term.matched_alias + "”"));
        }
        // mousedown, not click: the input would lose the focus (and the list) first.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          go(index);
        });
        list.append(option);
      });
      list.hidden = !found.length;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      announcer.textContent = found.length
        ? found.length + (found.length === 1 ? " suggestion" : " suggestions") + ": arrow keys to pick, Enter to open."
        : "";
      highlight(-1);
    }

    function fetchSuggestions(query) {
      if (pending) pending.abort();
      var request = ++latest;
      var controller = new AbortController();
      pending = controller;
      var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(query);
      fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (request === latest) show(data.results);
        })
        .catch(function (error) {
          if (error.name === "AbortError" || request !== latest) return;
          close(); // no suggestions: the search itself still works
        });
    }

    /* The list shown stays until the answer for the new text replaces it (no flicker
       while typing), but nothing in it is picked: Enter then searches what was typed. */
    function update() {
      var query = input.value.trim();
      clearTimeout(timer);
      if (pending) pending.abort();
      latest += 1;
      highlight(-1);
      if (!query || (input.maxLength > 0 && query.length > input.maxLength)) return close();
      timer = setTimeout(function () { fetchSuggestions(query); }, SUGGEST_DELAY_MS);
    }

    function go(index) {
      var term = results[index];
      if (!term) return;
      close();
      window.location.assign(term.web_url);
    }

    input.addEventListener("input", update);
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      var count = results.length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        highlight((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        highlight((active - 1 + count) % count);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        go(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(combobox);
})();
