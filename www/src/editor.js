// The definition box as a code editor: CodeMirror 6 with JSON, YAML and HCL highlighting (picked
// from the text, as the validator picks the format), each problem underlined at its span with its
// message on hover, and a mark in the gutter on its line.
//
// Bundled into www/build/editor.js at build time (scripts/build-wasm.sh): no CDN, so the page's
// same-origin Content-Security-Policy holds. The textarea it replaces stays in the page, hidden and
// kept in step, so the page still works (as a plain textarea) when this bundle does not load.

import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { yaml } from "@codemirror/lang-yaml";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { hcl } from "codemirror-lang-hcl";
import { looksLikeHcl } from "../../js/formats/terraform.js";

const LANGUAGES = { json: json(), yaml: yaml(), hcl: hcl() };

/** Which highlighting fits the text: the same cues the validator reads the format by. */
export function languageOf(text) {
  if (/^\s*[[{]/.test(text)) return "json";
  return looksLikeHcl(text) ? "hcl" : "yaml";
}

/**
 * Replaces `textarea` with an editor and returns the box the page talks to:
 * `{ value, focus(), select(from, to), onInput(fn), mark(problems, notes), language }`.
 */
export function mountEditor(textarea) {
  const language = new Compartment();
  const listeners = [];
  let current = languageOf(textarea.value);
  const labelled = textarea.labels?.[0];
  if (labelled && !labelled.id) labelled.id = `${textarea.id}-label`;
  if (labelled) {
    // The label names the editor now (aria-labelledby); a click on it goes there too.
    labelled.htmlFor = "";
    labelled.addEventListener("click", () => view.focus());
  }

  const view = new EditorView({
    parent: textarea.parentElement,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        lintGutter(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        // No Tab binding: Tab moves focus on through the page, as in any text box.
        keymap.of([...defaultKeymap, ...historyKeymap]),
        language.of(LANGUAGES[current]),
        EditorView.lineWrapping,
        EditorView.editorAttributes.of({ class: "definition-editor", "data-testid": "definition-editor" }),
        EditorView.contentAttributes.of({
          "data-testid": "definition",
          "aria-labelledby": labelled?.id ?? "",
          "aria-describedby": textarea.getAttribute("aria-describedby") ?? "",
          spellcheck: "false",
          autocapitalize: "off",
          autocorrect: "off",
        }),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          const text = update.state.doc.toString();
          textarea.value = text;
          const fits = languageOf(text);
          if (fits !== current) {
            current = fits;
            queueMicrotask(() => view.dispatch({ effects: language.reconfigure(LANGUAGES[fits]) }));
          }
          for (const fn of listeners) fn();
        }),
      ],
    }),
  });
  textarea.after(view.dom);
  textarea.hidden = true;
  textarea.dataset.testid = "definition-text";
  textarea.tabIndex = -1;
  textarea.setAttribute("aria-hidden", "true");

  return {
    get value() {
      return view.state.doc.toString();
    },
    set value(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    get language() {
      return current;
    },
    focus() {
      view.focus();
    },
    select(from, to = from) {
      const end = view.state.doc.length;
      const clamp = (n) => Math.max(0, Math.min(end, n));
      view.dispatch({ selection: { anchor: clamp(from), head: clamp(to) }, scrollIntoView: true });
      view.focus();
    },
    onInput(fn) {
      listeners.push(fn);
    },
    /** Underlines each located problem (error) and note (info); the rest stay in the list only. */
    mark(problems, notes = []) {
      const end = view.state.doc.length;
      const diagnostics = [];
      const add = (item, severity) => {
        const at = item.location;
        if (!at || at.offset > end) return;
        const from = at.offset;
        const to = Math.min(end, Math.max(at.endOffset, from + 1));
        const message = severity === "error" ? `${item.type} ${item.path || "(input)"}: ${item.message}` : `${item.path}: ${item.message}`;
        diagnostics.push({ from, to, severity, message, source: severity === "error" ? item.type : "note" });
      };
      for (const p of problems) add(p, "error");
      for (const n of notes) add(n, "info");
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
  };
}
