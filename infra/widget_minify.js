// Minifies widget scripts for infra/widget_build.py (one node process per build).
// stdin: a JSON list of {name, source}; stdout: the JSON list of minified sources, in
// the same order. A source terser cannot parse: its message on stderr, exit status 1.
//
// The widget's scripts talk only through window properties (window.__lcWidget and its
// members, LiveChat, LiveChatQueue), so locals may be renamed but no top-level name and
// no property: mangle.toplevel stays false and properties are never mangled. Compression
// keeps terser's safe defaults (no `unsafe` options; two passes, which only repeat them
// and save ~20 B gzipped of the budget), and the output the sources' language level
// (ecma 5 defaults) and their /*! header comments.
'use strict';

const { minify } = require('terser');

const OPTIONS = {
  mangle: { toplevel: false },
  compress: { passes: 2 },
  format: { comments: /^!/ },
};

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const out = [];
  for (const { name, source } of JSON.parse(input)) {
    try {
      out.push((await minify({ [name]: source }, OPTIONS)).code);
    } catch (err) {
      const where = err.line ? ` (line ${err.line}, column ${err.col})` : '';
      process.stderr.write(`${name}: ${err.message}${where}\n`);
      process.exit(1);
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main();
