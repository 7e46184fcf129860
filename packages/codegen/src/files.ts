/**
 * Formatting with Biome, writing the output directory and comparing it with what the generator produces.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import type { GeneratedFile } from "./emit.js"

/** The formatter settings of the repository's `biome.json`, applied to a directory it would otherwise skip. */
const biomeConfig = (rootConfigPath: string): string => {
  const root = JSON.parse(fs.readFileSync(rootConfigPath, "utf8"))
  return JSON.stringify({
    vcs: { enabled: false },
    files: { includes: ["**"] },
    formatter: root.formatter,
    javascript: { formatter: root.javascript?.formatter },
    linter: { enabled: false },
    assist: { enabled: false }
  })
}

/** Writes the files to a fresh temporary directory, formats them with Biome, and returns the directory. */
export const writeFormatted = (files: ReadonlyArray<GeneratedFile>, rootConfigPath: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mistral-codegen-"))
  const out = path.join(dir, "generated")
  fs.mkdirSync(out)
  for (const file of files) fs.writeFileSync(path.join(out, file.path), file.content)
  fs.writeFileSync(path.join(dir, "biome.json"), biomeConfig(rootConfigPath))
  const require = createRequire(import.meta.url)
  const biome = require.resolve("@biomejs/biome/bin/biome")
  try {
    execFileSync(process.execPath, [biome, "format", "--write", `--config-path=${dir}`, out], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"]
    })
  } catch (error) {
    const failure = error as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`biome format failed:\n${failure.stdout ?? ""}${failure.stderr ?? ""}`)
  }
  return out
}

const listFiles = (dir: string, prefix = ""): Array<string> => {
  if (!fs.existsSync(dir)) return []
  const result: Array<string> = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) result.push(...listFiles(path.join(dir, entry.name), relative))
    else result.push(relative)
  }
  return result.sort()
}

export interface Difference {
  readonly path: string
  readonly kind: "missing" | "extra" | "changed"
}

/** The differences between the expected directory and the actual one. */
export const compareDirectories = (expected: string, actual: string): Array<Difference> => {
  const expectedFiles = listFiles(expected)
  const actualFiles = new Set(listFiles(actual))
  const differences: Array<Difference> = []
  for (const file of expectedFiles) {
    if (!actualFiles.has(file)) differences.push({ path: file, kind: "missing" })
    else if (!fs.readFileSync(path.join(expected, file)).equals(fs.readFileSync(path.join(actual, file)))) {
      differences.push({ path: file, kind: "changed" })
    }
    actualFiles.delete(file)
  }
  for (const file of actualFiles) differences.push({ path: file, kind: "extra" })
  return differences.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Makes `target` hold exactly the files of `source`: changed files rewritten, stale ones removed. */
export const syncDirectory = (source: string, target: string): Array<Difference> => {
  const differences = compareDirectories(source, target)
  fs.mkdirSync(target, { recursive: true })
  for (const difference of differences) {
    const to = path.join(target, difference.path)
    if (difference.kind === "extra") fs.rmSync(to)
    else {
      fs.mkdirSync(path.dirname(to), { recursive: true })
      fs.copyFileSync(path.join(source, difference.path), to)
    }
  }
  return differences
}
