/* The admin's Markdown editor (terms.widgets.MarkdownTextarea): a toolbar, a live preview
   rendered by the server, and "[[" autocomplete of terms, added to each
   textarea[data-markdown-editor]. The textarea stays the form field: everything here is
   an addition, and the form works the same without it. No inline script or style (the
   Content-Security-Policy allows none). */
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 300;
  var SUGGEST_DELAY_MS = 150;
  var MAX_QUERY_LENGTH = 60;
  var editorCount = 0;

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function csrfToken(textarea) {
    var form = textarea.form || document;
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function fieldLabel(textarea) {
    var label = textarea.id && document.querySelector('label[for="' + textarea.id + '"]');
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }

  /* Replace start..end with text as typing would: execCommand keeps the browser's undo
     stack (Chromium) and fires "input" itself; setRangeText is the fallback, with an
     "input" event of our own so the preview and the unsaved-changes check see it. */
  function replaceRange(textarea, start, end, text, selectStart, selectEnd) {
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var inserted = false;
    try {
      inserted = document.execCommand("insertText", false, text);
    } catch (error) {
      inserted = false;
    }
    if (!inserted || textarea.value.slice(start, start + text.length) !== text) {
      textarea.setRangeText(text, start, end, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    textarea.setSelectionRange(start + selectStart, start + selectEnd);
  }

  // Toolbar actions ----------------------------------------------------------------

  function wrap(textarea, marker, placeholder) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var selected = textarea.value.slice(start, end);
    // Markdown ignores "** word**": white space at the edges stays outside the markers.
    var leading = selected.match(/^\s*/)[0];
    var trailing = selected.slice(leading.length).match(/\s*$/)[0];
    var inner = selected.slice(leading.length, selected.length - trailing.length) || placeholder;
    var text = leading + marker + inner + marker + trailing;
    var innerStart = leading.length + marker.length;
    replaceRange(textarea, start, end, text, innerStart, innerStart + inner.length);
  }

  function prefixLines(textarea, numbered) {
    var value = textarea.value;
    var start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    var end = textarea.selectionEnd;
    var lineEnd = value.indexOf("\n", end);
    end = lineEnd === -1 ? value.length : lineEnd;
    var lines = value.slice(start, end).split("\n");
    var pattern = numbered ? /^\d+\.\s/ : /^[-*]\s/;
    var anyList = /^(\d+\.|[-*])\s/;
    var listed = lines.every(function (line) { return pattern.test(line); });
    var changed = lines.map(function (line, index) {
      if (listed) return line.replace(pattern, ""); // a second press takes the list off
      return (numbered ? index + 1 + ". " : "- ") + line.replace(anyList, "");
    }).join("\n");
    replaceRange(textarea, start, end, changed, lines.length > 1 ? 0 : changed.length, changed.length);
  }

  function linkForm(editor) {
    var textarea = editor.textarea;
    var form = element("div", { class: "md-editor__link-form", hidden: "" });
    var inputId = textarea.id + "-link-address";
    var label = element("label", { for: inputId }, "Link address:");
    var input = element("input", { id: inputId, type: "url", placeholder: "https://", class: "vTextField" });
    var insert = element("button", { type: "button", class: "button" }, "Insert link");
    var cancel = element("button", { type: "button", class: "button" }, "Cancel");
    form.append(label, input, insert, cancel);
    var range = null;

    function close() {
      form.hidden = true;
      input.value = "";
      textarea.focus();
      if (range) textarea.setSelectionRange(range[0], range[1]);
    }
    function apply() {
      var address = input.value.trim();
      if (!address) return close();
      form.hidden = true;
      input.value = "";
      var selected = textarea.value.slice(range[0], range[1]);
      var label = selected.trim() || "link text";
      replaceRange(textarea, range[0], range[1], "[" + label + "](" + address + ")", 1, 1 + label.length);
    }
    input.addEventListener("keydown", function (event) {
      // Enter would submit the admin's form: here it inserts the link.
      if (event.key === "Enter") { event.preventDefault(); apply(); }
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    insert.addEventListener("click", apply);
    cancel.addEventListener("click", close);
    return {
      node: form,
      open: function () {
        range = [textarea.selectionStart, textarea.selectionEnd];
        form.hidden = false;
        input.focus();
      },
    };
  }

  function toolbar(editor) {
    var textarea = editor.textarea;
    var bar = element("div", {
      class: "md-editor__toolbar",
      role: "toolbar",
      "aria-label": ("Formatting " + fieldLabel(textarea)).trim(), // no label in an inline's table
      "aria-controls": textarea.id,
    });
    var mac = /Mac|iPhone|iPad/.test(navigator.platform);
    var modifier = mac ? "Cmd" : "Ctrl";
    var buttons = [
      ["B", "Bold", modifier + "+B", function () { wrap(textarea, "**", "bold text"); }, "md-editor__bold"],
      ["I", "Italic", modifier + "+I", function () { wrap(textarea, "*", "italic text"); }, "md-editor__italic"],
      ["Link", "Link", "", function () { editor.linkForm.open(); }],
      ["• List", "Bulleted list", "", function () { prefixLines(textarea, false); }],
      ["1. List", "Numbered list", "", function () { prefixLines(textarea, true); }],
      ["[[ Term", "Link to a term", "type [[", function () { editor.autocomplete.start(); }],
    ];
    buttons.forEach(function (spec) {
      var button = element("button", {
        type: "button",
        class: "md-editor__button " + (spec[4] || ""),
        "aria-label": spec[1],
        title: spec[2] ? spec[1] + " (" + spec[2] + ")" : spec[1],
      }, spec[0]);
      // Keep the textarea's selection: the button acts on it.
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", spec[3]);
      bar.append(button);
    });
    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      var key = event.key.toLowerCase();
      if (key === "b") { event.preventDefault(); wrap(textarea, "**", "bold text"); }
      if (key === "i") { event.preventDefault(); wrap(textarea, "*", "italic text"); }
    });
    return bar;
  }

  // Preview ---------------------------------------------------------------------------

  function preview(editor) {
    var textarea = editor.textarea;
    var headingId = textarea.id + "-preview-heading";
    var region = element("section", { class: "md-editor__preview", "aria-labelledby": headingId });
    var heading = element("p", { id: headingId, class: "md-editor__preview-heading" }, "Preview");
    var status = element("p", { class: "md-editor__preview-status", role: "status" });
    var body = element("div", { class: "md-editor__preview-body" });
    region.append(heading, status, body);
    var timer = null;
    var latest = 0;
    var pending = null;

    function say(message) {
      status.textContent = message;
      region.classList.toggle("md-editor__preview--stale", Boolean(message));
    }

    function refresh() {
      var text = textarea.value;
      if (pending) pending.abort();
      if (!text.trim()) {
        pending = null;
        latest += 1;
        say("");
        body.textContent = "";
        body.append(element("p", { class: "md-editor__preview-empty" }, "Nothing to preview yet."));
        return;
      }
      var request = ++latest;
      var controller = new AbortController();
      pending = controller;
      fetch(textarea.dataset.previewUrl, {
        method: "POST",
        body: text,
        headers: { "Content-Type": "text/plain;charset=UTF-8", "X-CSRFToken": csrfToken(textarea) },
        credentials: "same-origin",
        signal: controller.signal,
      })
        .then(function (response) {
          var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          // A lapsed session is sent to the login page.
          if (response.redirected) throw new Error("you are no longer logged in");
          if (!json) throw new Error("the server answered " + response.status);
          return response.json().then(function (data) {
            if (!response.ok) throw new Error(data.error || "the server answered " + response.status);
            return data;
          });
        })
        .then(function (data) {
          if (request !== latest) return; // a later edit's answer wins
          say("");
          // Safe: the HTML comes from our server, rendered and sanitised there
          // (terms.editor_views.render_preview), never from this page.
          body.innerHTML = data.html;
        })
        .catch(function (error) {
          if (error.name === "AbortError" || request !== latest) return;
          var reason = error instanceof TypeError ? "no connection to the server" : error.message;
          say("Preview unavailable: " + reason.replace(/\.$/, "") + ".");
        });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, PREVIEW_DELAY_MS);
    }

    textarea.addEventListener("input", schedule);
    // The first rendering waits until the editor is on screen (a collapsed fieldset's
    // fields, and long inline lists, cost nothing until they are opened or reached).
    if (!textarea.value.trim()) {
      refresh(); // says there is nothing yet, without asking the server
    } else if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          observer.disconnect();
          refresh();
        }
      });
      observer.observe(textarea);
    } else {
      refresh();
    }
    return region;
  }

  // "[[" autocomplete ---------------------------------------------------------------

  function autocomplete(editor) {
    var textarea = editor.textarea;
    var listId = textarea.id + "-term-suggestions";
    var list = element("ul", {
      id: listId,
      class: "md-editor__suggestions",
      role: "listbox",
      "aria-label": "Terms to link to",
      hidden: "",
    });
    var announcer = element("p", { class: "md-editor__announcer", role: "status" });
    var results = [];
    var active = -1;
    var opening = null; // where the "[[" being completed starts
    var dismissed = null; // the "[[" whose list Escape closed
    var timer = null;
    var latest = 0;
    var pending = null;

    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);
    textarea.setAttribute("aria-expanded", "false");

    /* The "[[" before the caret on this line, not closed yet: {start, query} or null. */
    function context() {
      if (textarea.selectionStart !== textarea.selectionEnd) return null;
      var before = textarea.value.slice(0, textarea.selectionStart);
      var start = before.lastIndexOf("[[");
      if (start === -1) return null;
      var query = before.slice(start + 2);
      if (/[\]\n]/.test(query) || query.length > MAX_QUERY_LENGTH) return null;
      return { start: start, query: query };
    }

    function close() {
      clearTimeout(timer);
      if (pending) pending.abort();
      latest += 1;
      opening = null;
      results = [];
      active = -1;
      list.hidden = true;
      list.textContent = "";
      announcer.textContent = "";
      textarea.setAttribute("aria-expanded", "false");
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, position) {
        option.setAttribute("aria-selected", position === index ? "true" : "false");
      });
      if (index >= 0) {
        textarea.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({ block: "nearest" });
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      results = found;
      list.textContent = "";
      if (!found.length) {
        list.append(element("li", { class: "md-editor__no-suggestion", role: "presentation" }, "No term matches."));
      }
      found.forEach(function (term, index) {
        var option = element("li", { id: listId + "-" + index, role: "option", "aria-selected": "false" });
        option.append(element("span", { class: "md-editor__suggestion-title" }, term.title));
        if (term.matched_alias) {
          option.append(element("span", { class: "md-editor__suggestion-note" }, " — alias “" + term.matched_alias + "”"));
        }
        if (term.status !== "published") {
          option.append(element("span", { class: "md-editor__suggestion-note" }, " (" + term.status_label.toLowerCase() + ")"));
        }
        // mousedown, not click: the textarea keeps the focus and the caret.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.append(option);
      });
      list.hidden = false;
      textarea.setAttribute("aria-expanded", "true");
      announcer.textContent = found.length
        ? found.length + (found.length === 1 ? " term matches" : " terms match") + ": arrow keys to pick, Enter to link."
        : "No term matches.";
      highlight(found.length ? 0 : -1);
    }

    function fetchSuggestions(query) {
      if (pending) pending.abort();
      var request = ++latest;
      var controller = new AbortController();
      pending = controller;
      var url = textarea.dataset.suggestionsUrl + "?q=" + encodeURIComponent(query);
      fetch(url, { credentials: "same-origin", signal: controller.signal, headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok || response.redirected) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (request === latest && opening !== null) show(data.results);
        })
        .catch(function (error) {
          if (error.name === "AbortError" || request !== latest) return;
          close();
        });
    }

    function update() {
      var found = context();
      if (!found || found.start === dismissed) {
        if (opening !== null) close();
        return;
      }
      dismissed = null;
      opening = found.start;
      clearTimeout(timer);
      timer = setTimeout(function () { fetchSuggestions(found.query); }, SUGGEST_DELAY_MS);
    }

    function choose(index) {
      var term = results[index];
      var found = context();
      if (!term || !found) return close();
      var label = term.matched_alias || term.title;
      var link = "[" + label + "](term:" + term.id + ")";
      close();
      replaceRange(textarea, found.start, textarea.selectionStart, link, link.length, link.length);
    }

    textarea.addEventListener("input", update);
    textarea.addEventListener("click", update);
    textarea.addEventListener("blur", function () { if (opening !== null) close(); });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      var count = results.length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        highlight((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        highlight((active - 1 + count) % count);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        dismissed = opening;
        close();
      }
    });

    return {
      nodes: [list, announcer],
      /* The toolbar's "Link to a term": "[[" before the selection, which becomes the query. */
      start: function () {
        var start = textarea.selectionStart;
        var end = textarea.selectionEnd;
        var selected = textarea.value.slice(start, end).replace(/\s+/g, " ").trim();
        replaceRange(textarea, start, end, "[[" + selected, 2 + selected.length, 2 + selected.length);
      },
    };
  }

  // Setting up ------------------------------------------------------------------------

  function enhance(textarea) {
    if (textarea.dataset.markdownEditorReady || /__prefix__/.test(textarea.name)) return;
    textarea.dataset.markdownEditorReady = "true";
    if (!textarea.id) textarea.id = "markdown-editor-" + ++editorCount;
    var wrapper = element("div", { class: "md-editor" });
    if (textarea.dataset.previewPlacement === "below") wrapper.classList.add("md-editor--below");
    var panes = element("div", { class: "md-editor__panes" });
    var writing = element("div", { class: "md-editor__writing" });
    textarea.parentNode.insertBefore(wrapper, textarea);
    var editor = { textarea: textarea };
    editor.linkForm = linkForm(editor);
    editor.autocomplete = autocomplete(editor);
    writing.append(textarea);
    editor.autocomplete.nodes.forEach(function (node) { writing.append(node); });
    panes.append(writing, preview(editor));
    wrapper.append(toolbar(editor), editor.linkForm.node, panes);
  }

  function enhanceWithin(root) {
    root.querySelectorAll("textarea[data-markdown-editor]").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceWithin(document);
  });
  // An inline row added by "Add another" (Django admin's inlines.js).
  document.addEventListener("formset:added", function (event) {
    enhanceWithin(event.target);
  });
})();
