#!/usr/bin/env node
/**
 * `node packages/codegen/dist/main.js --spec <path> [--check] [--out <dir>]`
 *
 * Writes the schemas and operation descriptors of `@effect-mistral/core` (`packages/core/src/generated`) from the
 * Mistral OpenAPI document and the supplementary documents of `packages/codegen/spec/`. `--check` writes nothing and exits 1 when the committed files differ.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { generate } from "./generate.js"

const usage = "usage: main.js --spec <mistral-openapi.yaml> [--check] [--out <dir>]"

const main = (argv: ReadonlyArray<string>): number => {
  let spec: string | undefined
  let out: string | undefined
  let check = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === "--spec") spec = argv[++i]
    else if (arg.startsWith("--spec=")) spec = arg.slice("--spec=".length)
    else if (arg === "--out") out = argv[++i]
    else if (arg.startsWith("--out=")) out = arg.slice("--out=".length)
    else if (arg === "--check") check = true
    else if (arg === "--help" || arg === "-h") {
      console.log(usage)
      return 0
    } else {
      console.error(`unknown argument ${arg}\n${usage}`)
      return 2
    }
  }
  if (spec === undefined) {
    console.error(usage)
    return 2
  }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
  const outDir = out === undefined ? path.join(root, "packages/core/src/generated") : path.resolve(out)
  const started = performance.now()
  // the supplementary documents of the repository: protocols the OpenAPI document does not describe
  const supplementDir = path.join(root, "packages/codegen/spec")
  const supplements = fs.existsSync(supplementDir)
    ? fs
        .readdirSync(supplementDir)
        .filter((name) => name.endsWith(".yaml"))
        .sort()
        .map((name) => fs.readFileSync(path.join(supplementDir, name), "utf8"))
    : []
  const result = generate({
    spec: fs.readFileSync(path.resolve(spec), "utf8"),
    supplements,
    outDir,
    check,
    biomeConfig: path.join(root, "biome.json")
  })
  for (const warning of result.warnings) console.warn(`warning: ${warning}`)
  const elapsed = Math.round(performance.now() - started)
  if (check) {
    if (result.differences.length > 0) {
      console.error(`${path.relative(process.cwd(), outDir)} is not up to date with the document:`)
      for (const d of result.differences) console.error(`  ${d.kind === "extra" ? "not generated" : d.kind}: ${d.path}`)
      console.error("run `pnpm codegen --spec <path-to-mistral-openapi.yaml>`")
      return 1
    }
    console.log(`${path.relative(process.cwd(), outDir)} is up to date (${elapsed} ms)`)
    return 0
  }
  console.log(
    `${result.stats}\nwrote ${path.relative(process.cwd(), outDir)}: ${result.differences.length} file(s) changed (${elapsed} ms)`
  )
  return 0
}

process.exitCode = main(process.argv.slice(2))
