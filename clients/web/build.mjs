// Builds the browser demo into clients/web/dist/: app.js (esbuild bundle of src/main.ts
// with the TypeScript SDK) next to index.html and style.css. `make setup` runs it.
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true,
  format: "esm",
  target: ["es2022"],
  platform: "browser",
  sourcemap: true,
  minify: true,
  tsconfig: join(here, "tsconfig.json"),
  outfile: join(out, "app.js"),
  logLevel: "warning",
});
for (const name of ["index.html", "style.css"]) {
  await copyFile(join(here, name), join(out, name));
}
console.log(`built ${out}`);
