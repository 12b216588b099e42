// ESLint (flat config) for the browser code: `make lint` runs it. The widget is plain
// scripts that share one global (window.__lcWidget, documented in widget/README.md);
// the panel is native ES modules. Recommended rules, plus undefined and unused names,
// which in code without a build step are the mistakes that reach users.
const js = require("@eslint/js");
const globals = require("globals");
const fs = require("fs");
const path = require("path");

// Browser globals that share a name with the code's own functions and variables: code
// that forgot to define or import one would use the browser's, and no-undef cannot tell.
const lookalikeGlobals = ["reportError", "postMessage", "name", "status", "close", "open", "stop", "event"];

const strict = {
  ...js.configs.recommended.rules,
  "no-undef": "error",
  "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
  "no-restricted-globals": ["error", ...lookalikeGlobals],
};

// widget/chat/*.js: each part is linted inside the bundle it belongs to, as
// infra/widget_build.py assembles it (the guard aside), and only its own lines are reported.
const BUNDLE_OPEN = "(function (w, d) {\nvar W = w.__lcWidget;\n";
const parts = new Map(); // a part's file -> {before: lines of the bundle before it, count, last}
const lineCount = (text) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
const chatParts = {
  meta: { name: "widget-chat-parts" },
  preprocess(text, filename) {
    const folder = path.dirname(filename);
    const names = fs.readdirSync(folder).filter((name) => name.endsWith(".js")).sort();
    let bundle = BUNDLE_OPEN;
    for (const name of names) {
      const file = path.join(folder, name);
      const part = file === filename ? text : fs.readFileSync(file, "utf8");
      if (file === filename) {
        const last = name === names[names.length - 1];
        parts.set(filename, { before: lineCount(bundle), count: lineCount(part), last });
      }
      bundle += part.endsWith("\n") ? part : part + "\n";
    }
    return [{ text: bundle + "})(window, document);\n", filename: "bundle.js" }];
  },
  postprocess(messages, filename) {
    const { before, count, last } = parts.get(filename);
    // A parse error past every part (an unclosed brace shows at the bundle's end) is the
    // last part's to report, so the lint still fails.
    const reported = (m) => (m.line > before && m.line <= before + count) || (m.fatal && last && m.line > before);
    return messages[0].filter(reported).map((m) => {
      const moved = { ...m, line: Math.min(m.line - before, count) };
      delete moved.fix; // offsets in the bundle
      delete moved.suggestions;
      if (m.endLine) moved.endLine = Math.min(m.endLine - before, count);
      return moved;
    });
  },
  supportsAutofix: false,
};

module.exports = [
  { ignores: ["node_modules/**", "build/**", ".venv/**", "**/*.min.js"] },
  {
    // ES5 syntax (any host page's browser parses it), ES2015 built-ins (Map, Promise).
    files: ["widget/**/*.js"],
    languageOptions: {
      ecmaVersion: 5,
      sourceType: "script",
      globals: { ...globals.browser, ...globals.es2015 },
    },
    rules: strict,
  },
  {
    // widget/chat/*.js are the parts of one script, chat.js: infra/widget_build.py puts
    // them, in name order, inside one function (w = window, d = document, W = the shared
    // global). So each part is linted as that script, where the names the parts share are
    // locals, and only the part's own lines are reported.
    files: ["widget/chat/*.js"],
    processor: chatParts,
  },
  {
    // The panel's security rule (panel/README.md): text-only rendering, so no property or
    // method that parses an HTML string, even for static markup.
    files: ["panel/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    rules: {
      ...strict,
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "Text-only rendering: build with h()." },
        { property: "outerHTML", message: "Text-only rendering: build with h()." },
        { property: "insertAdjacentHTML", message: "Text-only rendering: build with h()." },
        { property: "createContextualFragment", message: "Text-only rendering: build with h()." },
      ],
    },
  },
  {
    // The service worker: a classic script in the worker's global scope (no module: every
    // browser with push runs it). Its top-level functions are what the browser tests call.
    files: ["panel/sw.js"],
    languageOptions: { sourceType: "script", globals: globals.serviceworker },
    rules: { "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none", varsIgnorePattern: "^VERSION$" }] },
  },
  {
    files: ["infra/**/*.js", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "commonjs", globals: globals.node },
    rules: strict,
  },
];
