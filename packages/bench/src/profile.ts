/**
 * `node profile.js <file.cpuprofile> [top]`: the top self-time functions and files of a V8 CPU profile (as written
 * by `BENCH_PROFILE=<dir> pnpm bench`), to find where a client's time goes.
 */
import { readFileSync } from "node:fs"

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

// piped into `head`: stop quietly when the reader goes
process.stdout.on("error", () => process.exit(0))

const [file, topArg] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write("usage: node profile.js <file.cpuprofile> [top]\n")
  process.exit(2)
}
const top = Number(topArg ?? 30)
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfTime = new Map<number, number>()
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})

const shorten = (url: string) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
    .replace(/.*\/packages\//, "packages/")
const total = [...selfTime.values()].reduce((a, b) => a + b, 0)
const functions = new Map<string, number>()
const files = new Map<string, number>()
for (const [id, time] of selfTime) {
  const frame = byId.get(id)?.callFrame
  if (frame === undefined) continue
  const where = frame.url === "" ? "(native)" : shorten(frame.url)
  const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`
  functions.set(key, (functions.get(key) ?? 0) + time)
  const fileKey = frame.url === "" ? frame.functionName || "(native)" : where
  files.set(fileKey, (files.get(fileKey) ?? 0) + time)
}
// inclusive time: each sample counts once for every distinct function on its stack
const parent = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
const keyOf = (frame: ProfileNode["callFrame"]) =>
  `${frame.functionName || "(anonymous)"} ${frame.url === "" ? "(native)" : shorten(frame.url)}:${frame.lineNumber + 1}`
const inclusive = new Map<string, number>()
profile.samples.forEach((id, i) => {
  const seen = new Set<string>()
  for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
    const frame = byId.get(node)?.callFrame
    if (frame !== undefined) seen.add(keyOf(frame))
  }
  for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
const print = (title: string, entries: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`)
  for (const [key, time] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${((100 * time) / total).toFixed(1).padStart(5)}%  ${(time / 1000).toFixed(1).padStart(8)} ms  ${key}\n`
    )
  }
}
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n`)
print("self time by function", functions)
print("self time by file", files)
print("inclusive time by function", inclusive)
