// ESLint (flat config) for the browser code: `make lint` runs it. The widget is plain
// scripts that share one global (window.__lcWidget, documented in widget/README.md);
// the panel is native ES modules. Recommended rules, plus undefined and unused names,
// which in code without a build step are the mistakes that reach users.
const js = require("@eslint/js");
const globals = require("globals");

const strict = {
  ...js.configs.recommended.rules,
  "no-undef": "error",
  "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
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
    files: ["panel/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    rules: strict,
  },
  {
    files: ["infra/**/*.js", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "commonjs", globals: globals.node },
    rules: strict,
  },
];
