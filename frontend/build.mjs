// Build the site's CSS and JS into static/dist/ (run with `npm run build`).
//
// Plain Node + the sass JS API, so `npm ci && npm run build` is all a
// developer or CI needs: no global tools, no bundler.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import * as sass from "sass";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(root, "static", "dist");
const autocompleteDist = path.join(root, "node_modules", "accessible-autocomplete", "dist");

// Warnings from our own Sass still print; `quietDeps` only hides those raised
// inside node_modules (govuk-frontend), which we cannot fix. Any warning that
// does print fails the build, so new deprecations get fixed rather than
// scrolling past unnoticed.
const warnings = [];
const logger = {
  warn(message, { deprecation, span }) {
    const where = span ? `${span.url?.pathname ?? "?"}:${span.start.line + 1}` : "";
    warnings.push(`${deprecation ? "Deprecation" : "Warning"} ${where}\n${message}`);
  },
};

function compile(entry, outName) {
  const result = sass.compile(path.join(root, "frontend", entry), {
    loadPaths: [path.join(root, "node_modules")],
    style: "compressed",
    quietDeps: true,
    logger,
  });
  return writeFile(path.join(outDir, outName), result.css + "\n");
}

await mkdir(outDir, { recursive: true });
await Promise.all([
  compile("main.scss", "main.css"),
  compile("print.scss", "print.css"),
  compile("autocomplete.scss", "autocomplete.css"),
  // Our script and the govuk-frontend components it uses, as one small module: one
  // request instead of two, and none of the components our pages do not use.
  esbuild.build({
    entryPoints: [path.join(root, "frontend", "app.js")],
    outfile: path.join(outDir, "app.js"),
    bundle: true,
    format: "esm",
    minify: true,
    sourcemap: true,
    target: "es2020",
    logLevel: "warning",
  }),
  // The type-ahead for long lists (the checker's profession question).
  copyFile(path.join(autocompleteDist, "accessible-autocomplete.min.js"), path.join(outDir, "accessible-autocomplete.min.js")),
  copyFile(path.join(autocompleteDist, "accessible-autocomplete.min.js.map"), path.join(outDir, "accessible-autocomplete.min.js.map")),
]);

if (warnings.length) {
  console.error(warnings.join("\n\n"));
  console.error(`\nSass printed ${warnings.length} warning(s); fix them (build failed).`);
  process.exit(1);
}
console.log(`Built ${path.relative(root, outDir)}/: main.css, print.css, autocomplete.css, app.js, accessible-autocomplete.min.js`);
