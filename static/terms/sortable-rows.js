/*
 * Drag-and-drop and keyboard ordering of rows whose order is a number input marked
 * data-sortable-position: the term form's inlines (considerations, FAQs, references),
 * the category form's shared FAQs and the category list.
 *
 * Two layouts of "rows in a container" share one behaviour: a table's rows (tabular
 * inlines, the change list: `tbody > tr`) and a stacked inline group's blocks (the FAQ
 * inlines: each `.inline-related` of an `.inline-group`).
 *
 * Progressive enhancement: without this script the number inputs stay visible and are
 * typed into. With it, each input is hidden (it is still submitted) and a handle
 * button takes its place (a stacked block's handle goes in its heading): drag it, or
 * focus it and press ArrowUp / ArrowDown. The numbers are rewritten to follow the rows'
 * order on screen, and left as they were while the order is the one the page came with
 * (so an untouched list changes nothing).
 *
 * A static file, no inline script or style: the site's Content-Security-Policy allows
 * neither.
 */
(function () {
  "use strict";

  const POSITION = "input[data-sortable-position]";
  const CONTAINER = "[data-sortable-rows]";
  const HANDLE_CLASS = "sortable-rows__handle";
  const HIDDEN_CLASS = "sortable-rows__input";
  const LABEL_WORDS = 6;
  let nextOrigin = 0;
  let dragged = null;

  /* How each layout finds its rows, names them and places a handle. */
  const TABLE = {
    rowSelector: "tr",
    candidates: (table) => table.querySelectorAll("tbody > tr"),
    heading: (row) => row.querySelector("th"),
    placeHandle(row, handle) {
      const input = positionInput(row);
      input.classList.add(HIDDEN_CLASS);
      input.insertAdjacentElement("afterend", handle);
    },
    // A row's form errors are a row of their own just above it, and move with it.
    companion(row) {
      const errors = row.previousElementSibling;
      return errors && errors.classList.contains("row-form-errors") ? errors : null;
    },
  };
  const STACKED = {
    rowSelector: ".inline-related",
    candidates: (group) => group.querySelectorAll(".inline-related"),
    // The block's heading says "Common question: #2", not which question: named by its fields.
    heading: () => null,
    placeHandle(row, handle) {
      const input = positionInput(row);
      // The whole "Position:" line goes, label and all.
      (input.closest(".form-row") || input).classList.add(HIDDEN_CLASS);
      const heading = row.querySelector("h3");
      if (heading) {
        heading.prepend(handle);
      } else {
        input.insertAdjacentElement("afterend", handle);
      }
    },
    companion: () => null,
  };

  function layoutOf(container) {
    return container.tagName === "TABLE" ? TABLE : STACKED;
  }

  function rowsOf(container) {
    return Array.from(layoutOf(container).candidates(container)).filter(
      (row) => row.querySelector(POSITION) && !row.classList.contains("empty-form")
    );
  }

  function rowOf(element, container) {
    const row = element.closest && element.closest(layoutOf(container).rowSelector);
    return row && container.contains(row) ? row : null;
  }

  function positionInput(row) {
    return row.querySelector(POSITION);
  }

  function fieldsOf(row) {
    return Array.from(row.querySelectorAll("input, textarea, select")).filter(
      (field) =>
        // Unnamed fields are widgets' own (the Markdown editor's link box), never saved.
        field.name &&
        !field.matches(POSITION) &&
        field.type !== "hidden" &&
        field.type !== "checkbox" &&
        !field.name.endsWith("-DELETE")
    );
  }

  function valueOf(field) {
    if (field.tagName === "SELECT") {
      const option = field.selectedOptions[0];
      return option && option.value ? option.textContent : "";
    }
    return field.value;
  }

  /* A row that will be saved: stored already, or a new row with something typed in. */
  function isLive(row) {
    return positionInput(row).defaultValue !== "" || fieldsOf(row).some((f) => valueOf(f).trim());
  }

  function firstWords(text) {
    const words = text.trim().split(/\s+/).filter(Boolean);
    const shown = words.slice(0, LABEL_WORDS).join(" ");
    return words.length > LABEL_WORDS ? `${shown}…` : shown;
  }

  function rowName(row, container) {
    const heading = layoutOf(container).heading(row);
    if (heading && heading.textContent.trim()) {
      return firstWords(heading.textContent);
    }
    for (const field of fieldsOf(row)) {
      const value = valueOf(field);
      if (value.trim()) {
        return firstWords(value);
      }
    }
    return `row ${rowsOf(container).indexOf(row) + 1}`;
  }

  function handleOf(row) {
    return row.querySelector(`.${HANDLE_CLASS}`);
  }

  function labelHandle(row, container) {
    const handle = handleOf(row);
    if (handle) {
      handle.setAttribute("aria-label", `Move “${rowName(row, container)}”`);
    }
  }

  /* Numbers that follow the rows' order on screen: the numbers the rows had, in
     ascending order, made strictly increasing (the category list's numbers may repeat,
     and stay clear of other pages'); rows without one continue from the last. */
  function renumber(container) {
    const rows = rowsOf(container);
    const live = rows.filter(isLive);
    const origins = live.map((row) => Number(row.dataset.sortableOrigin));
    const unmoved = origins.every((origin, index) => index === 0 || origins[index - 1] < origin);
    if (unmoved) {
      rows.forEach((row) => setPosition(row, positionInput(row).defaultValue));
      return;
    }
    const had = live
      .map((row) => parseInt(positionInput(row).defaultValue, 10))
      .filter((number) => !Number.isNaN(number))
      .sort((a, b) => a - b);
    let previous = null;
    live.forEach((row, index) => {
      const wanted = index < had.length ? had[index] : (previous ?? 0) + 1;
      const number = previous === null ? wanted : Math.max(wanted, previous + 1);
      setPosition(row, String(number));
      previous = number;
    });
    rows.filter((row) => !isLive(row)).forEach((row) => setPosition(row, ""));
  }

  function setPosition(row, value) {
    const input = positionInput(row);
    if (input.value !== value) {
      input.value = value;
      // The change list's actions.js warns of unsaved list edits on this event.
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  const statuses = new WeakMap();

  /* "Moved to position 2 of 3", counting the rows that will be saved (not the blank
     extra forms), and the moved row itself. */
  function announce(container, row) {
    const counted = rowsOf(container).filter((other) => other === row || isLive(other));
    const where = `position ${counted.indexOf(row) + 1} of ${counted.length}`;
    statuses.get(container).textContent = `Moved to ${where}`;
  }

  /* Moves the row (with its companion, if any) before ``reference``. */
  function moveBefore(container, row, reference) {
    const companion = layoutOf(container).companion(row);
    const parent = reference ? reference.parentElement : row.parentElement;
    if (companion) {
      parent.insertBefore(companion, reference);
    }
    parent.insertBefore(row, reference);
  }

  function move(container, row, target) {
    const rows = rowsOf(container);
    if (rows.indexOf(row) < rows.indexOf(target)) {
      moveBefore(container, row, target.nextElementSibling);
    } else {
      moveBefore(container, row, layoutOf(container).companion(target) || target);
    }
    renumber(container);
    announce(container, row);
  }

  function enhanceRow(row, container) {
    if (handleOf(row)) {
      return;
    }
    row.dataset.sortableOrigin = String(nextOrigin++);
    const handle = document.createElement("button");
    handle.type = "button";
    handle.className = HANDLE_CLASS;
    handle.draggable = true;
    handle.title = "Drag, or press the up and down arrow keys, to move this row";
    handle.textContent = "⠿";
    layoutOf(container).placeHandle(row, handle);
    labelHandle(row, container);
  }

  function onKeyDown(event, container) {
    const handle = event.target.closest && event.target.closest(`.${HANDLE_CLASS}`);
    if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) {
      return;
    }
    event.preventDefault();
    const row = rowOf(handle, container);
    const rows = rowsOf(container);
    const target = rows[rows.indexOf(row) + (event.key === "ArrowUp" ? -1 : 1)];
    if (target) {
      move(container, row, target);
    } else {
      announce(container, row);
    }
    handle.focus();
  }

  function clearDragMarks(container) {
    container.querySelectorAll(".is-dragging, .is-drop-target").forEach((row) => {
      row.classList.remove("is-dragging", "is-drop-target");
    });
  }

  function enhanceContainer(container) {
    if (container.dataset.sortableRows) {
      return;
    }
    container.dataset.sortableRows = "on";
    container.classList.add("sortable-rows");
    const live = document.createElement("p");
    live.className = "sortable-rows__status";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    if (container.tagName === "TABLE") {
      container.insertAdjacentElement("afterend", live);
    } else {
      container.append(live);
    }
    statuses.set(container, live);
    rowsOf(container).forEach((row) => enhanceRow(row, container));

    container.addEventListener("keydown", (event) => onKeyDown(event, container));
    const relabel = (event) => {
      const row = rowOf(event.target, container);
      if (row && handleOf(row)) {
        labelHandle(row, container);
      }
    };
    container.addEventListener("input", relabel);
    container.addEventListener("change", relabel);
    // The reference picker (select2) tells of a choice through jQuery only.
    container.addEventListener("focusin", relabel);
    container.addEventListener("dragstart", (event) => {
      const handle = event.target.closest && event.target.closest(`.${HANDLE_CLASS}`);
      const row = handle && rowOf(handle, container);
      if (!row) {
        return;
      }
      dragged = row;
      dragged.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.sortableOrigin);
      event.dataTransfer.setDragImage(dragged, 0, 0);
    });
    const targetOf = (event) => {
      const row = rowOf(event.target, container);
      const rows = rowsOf(container);
      // Rows move within their own container only (a FAQ never lands among references).
      return row && row !== dragged && rows.includes(dragged) && rows.includes(row) ? row : null;
    };
    container.addEventListener("dragover", (event) => {
      const target = targetOf(event);
      if (target) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        container.querySelectorAll(".is-drop-target").forEach((row) => {
          row.classList.remove("is-drop-target");
        });
        target.classList.add("is-drop-target");
      }
    });
    container.addEventListener("drop", (event) => {
      const target = targetOf(event);
      if (target) {
        // Also keeps a text field under the pointer from receiving the dragged data.
        event.preventDefault();
        const row = dragged;
        move(container, row, target);
        handleOf(row).focus();
      }
    });
    container.addEventListener("dragend", () => {
      clearDragMarks(container);
      dragged = null;
    });
    const form = container.closest("form");
    if (form) {
      // New rows filled in after a move need their numbers too.
      form.addEventListener("submit", () => renumber(container), true);
    }
  }

  /* The container whose rows an input orders: its stacked inline group, or its table. */
  function containerFor(input) {
    const block = input.closest(".inline-related");
    const group = block && block.closest(".inline-group[data-inline-type=stacked]");
    if (group) {
      return group;
    }
    const table = input.closest("table");
    return table && input.closest("tbody") ? table : null;
  }

  function enhance(root) {
    root.querySelectorAll(POSITION).forEach((input) => {
      const container = containerFor(input);
      if (container) {
        enhanceContainer(container);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => enhance(document));
  // "Add another …": Django's inlines.js clones the template form (never enhanced).
  document.addEventListener("formset:added", (event) => {
    const container = event.target.closest(CONTAINER);
    if (container && rowsOf(container).includes(event.target)) {
      enhanceRow(event.target, container);
      renumber(container);
    }
  });
  document.addEventListener("formset:removed", () => {
    document.querySelectorAll(CONTAINER).forEach(renumber);
  });
})();
