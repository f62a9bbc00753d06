/*
 * Drag-and-drop and keyboard ordering of table rows whose order is a number input
 * marked data-sortable-position: the term form's inlines (considerations, FAQs,
 * references), the category form's shared FAQs and the category list.
 *
 * Progressive enhancement: without this script the number inputs stay visible and are
 * typed into. With it, each input is hidden (it is still submitted) and a handle
 * button takes its place: drag it, or focus it and press ArrowUp / ArrowDown. The
 * numbers are rewritten to follow the rows' order on screen, and left as they were
 * while the order is the one the page came with (so an untouched list changes nothing).
 *
 * A static file, no inline script or style: the site's Content-Security-Policy allows
 * neither.
 */
(function () {
  "use strict";

  const POSITION = "input[data-sortable-position]";
  const HANDLE_CLASS = "sortable-rows__handle";
  const LABEL_WORDS = 6;
  let nextOrigin = 0;
  let dragged = null;

  function rowsOf(table) {
    return Array.from(table.querySelectorAll("tbody > tr")).filter(
      (row) => row.querySelector(POSITION) && !row.classList.contains("empty-form")
    );
  }

  function positionInput(row) {
    return row.querySelector(POSITION);
  }

  function fieldsOf(row) {
    return Array.from(row.querySelectorAll("input, textarea, select")).filter(
      (field) =>
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

  function rowName(row, table) {
    const heading = row.querySelector("th");
    if (heading && heading.textContent.trim()) {
      return firstWords(heading.textContent);
    }
    for (const field of fieldsOf(row)) {
      const value = valueOf(field);
      if (value.trim()) {
        return firstWords(value);
      }
    }
    return `row ${rowsOf(table).indexOf(row) + 1}`;
  }

  function labelHandle(row, table) {
    const handle = row.querySelector(`.${HANDLE_CLASS}`);
    if (handle) {
      handle.setAttribute("aria-label", `Move “${rowName(row, table)}”`);
    }
  }

  /* Numbers that follow the rows' order on screen: the numbers the rows had, in
     ascending order, made strictly increasing (the category list's numbers may repeat,
     and stay clear of other pages'); rows without one continue from the last. */
  function renumber(table) {
    const rows = rowsOf(table);
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

  function status(table) {
    return table.parentElement.querySelector(".sortable-rows__status");
  }

  function announce(table, row) {
    const rows = rowsOf(table);
    status(table).textContent = `Moved to position ${rows.indexOf(row) + 1} of ${rows.length}`;
  }

  /* Moves the row (with the row of its form errors, if any) before ``reference``. */
  function moveBefore(row, reference) {
    const errors = row.previousElementSibling;
    const parent = reference ? reference.parentElement : row.parentElement;
    if (errors && errors.classList.contains("row-form-errors")) {
      parent.insertBefore(errors, reference);
    }
    parent.insertBefore(row, reference);
  }

  function beforeOf(row) {
    const errors = row.previousElementSibling;
    return errors && errors.classList.contains("row-form-errors") ? errors : row;
  }

  function move(table, row, target) {
    const rows = rowsOf(table);
    if (rows.indexOf(row) < rows.indexOf(target)) {
      moveBefore(row, target.nextElementSibling);
    } else {
      moveBefore(row, beforeOf(target));
    }
    renumber(table);
    announce(table, row);
  }

  function enhanceRow(row, table) {
    if (row.querySelector(`.${HANDLE_CLASS}`)) {
      return;
    }
    row.dataset.sortableOrigin = String(nextOrigin++);
    const input = positionInput(row);
    input.classList.add("sortable-rows__input");
    const handle = document.createElement("button");
    handle.type = "button";
    handle.className = HANDLE_CLASS;
    handle.draggable = true;
    handle.title = "Drag, or press the up and down arrow keys, to move this row";
    handle.textContent = "⠿";
    input.insertAdjacentElement("afterend", handle);
    labelHandle(row, table);
  }

  function onKeyDown(event, table) {
    const handle = event.target.closest(`.${HANDLE_CLASS}`);
    if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) {
      return;
    }
    event.preventDefault();
    const row = handle.closest("tr");
    const rows = rowsOf(table);
    const target = rows[rows.indexOf(row) + (event.key === "ArrowUp" ? -1 : 1)];
    if (target) {
      move(table, row, target);
    } else {
      announce(table, row);
    }
    handle.focus();
  }

  function enhanceTable(table) {
    if (table.dataset.sortableRows) {
      return;
    }
    table.dataset.sortableRows = "on";
    table.classList.add("sortable-rows");
    const live = document.createElement("p");
    live.className = "sortable-rows__status";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    table.insertAdjacentElement("afterend", live);
    rowsOf(table).forEach((row) => enhanceRow(row, table));

    table.addEventListener("keydown", (event) => onKeyDown(event, table));
    const relabel = (event) => {
      const row = event.target.closest && event.target.closest("tr");
      if (row && row.querySelector(`.${HANDLE_CLASS}`)) {
        labelHandle(row, table);
      }
    };
    table.addEventListener("input", relabel);
    table.addEventListener("change", relabel);
    // The reference picker (select2) tells of a choice through jQuery only.
    table.addEventListener("focusin", relabel);
    table.addEventListener("dragstart", (event) => {
      const handle = event.target.closest && event.target.closest(`.${HANDLE_CLASS}`);
      if (!handle) {
        return;
      }
      dragged = handle.closest("tr");
      dragged.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.sortableOrigin);
      event.dataTransfer.setDragImage(dragged, 0, 0);
    });
    const targetOf = (event) => {
      const row = event.target.closest && event.target.closest("tr");
      const rows = rowsOf(table);
      // Rows move within their own table only (a FAQ never lands among references).
      return row && row !== dragged && rows.includes(dragged) && rows.includes(row) ? row : null;
    };
    table.addEventListener("dragover", (event) => {
      const target = targetOf(event);
      if (target) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        table.querySelectorAll(".is-drop-target").forEach((row) => {
          row.classList.remove("is-drop-target");
        });
        target.classList.add("is-drop-target");
      }
    });
    table.addEventListener("drop", (event) => {
      const target = targetOf(event);
      if (target) {
        event.preventDefault();
        const row = dragged;
        move(table, row, target);
        row.querySelector(`.${HANDLE_CLASS}`).focus();
      }
    });
    table.addEventListener("dragend", () => {
      table.querySelectorAll(".is-dragging, .is-drop-target").forEach((row) => {
        row.classList.remove("is-dragging", "is-drop-target");
      });
      dragged = null;
    });
    const form = table.closest("form");
    if (form) {
      // New rows filled in after a move need their numbers too.
      form.addEventListener("submit", () => renumber(table), true);
    }
  }

  function enhance(root) {
    root.querySelectorAll(POSITION).forEach((input) => {
      const table = input.closest("table");
      if (table && input.closest("tbody")) {
        enhanceTable(table);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => enhance(document));
  // "Add another …": Django's inlines.js clones the template row (never enhanced).
  document.addEventListener("formset:added", (event) => {
    const table = event.target.closest("table");
    if (table && table.dataset.sortableRows) {
      enhanceRow(event.target, table);
      renumber(table);
    }
  });
  document.addEventListener("formset:removed", () => {
    document.querySelectorAll("table.sortable-rows").forEach(renumber);
  });
})();
