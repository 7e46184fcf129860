/**
 * Measures how much a 50 MB upload raises the process's peak RSS (issue #5: at most 20 MB).
 *
 *   node --expose-gc <vite-node> scripts/upload-rss.ts [--size-mb 50] [--blob | --buffered]
 *
 * The loopback server runs in a child process so only the client's memory is counted. For comparison, `--blob`
 * uploads the same file as a file-backed `Blob` that `NodeFiles` did not open (streamed through the `Blob` API), and
 * `--buffered` the file's bytes read into a Uint8Array first.
 *
 * What to expect (Node 20, default flags): `NodeFiles.upload` (or `uploadFromPath` then `Files.upload`) over
 * `MistralNode.layer` stays within about 1 MB at any size, since the file is read into four reused 128 KiB buffers
 * (src/internal/multipart.ts). Any path that allocates a fresh buffer per chunk (`--blob`: reading any `Blob`'s
 * stream; or undici encoding the `FormData` itself) plateaus at +30-35 MB: garbage that V8 collects only under
 * external-memory pressure. `--buffered` holds the file's bytes several times over (about +150 MB for 50 MB).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Files from "@effect-mistral/core/Files"
import { Effect, Redacted } from "effect"
import * as MistralNode from "../src/MistralNode.js"
import * as NodeFiles from "../src/NodeFiles.js"

const argument = (name: string) => {
  const index = process.argv.indexOf(name)
  return index === -1 ? undefined : process.argv[index + 1]
}
const sizeMb = Number(argument("--size-mb") ?? "50")
const buffered = process.argv.includes("--buffered")
const blob = process.argv.includes("--blob")
const mode = buffered ? "buffered Uint8Array" : blob ? "a file-backed Blob NodeFiles did not open" : "NodeFiles.upload"

const sink = `
const http = require("node:http")
const server = http.createServer((req, res) => {
  let n = 0
  req.on("data", (c) => { n += c.length })
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify({ id: "file-1", object: "file", bytes: n, created_at: 1, filename: "big.bin",
      purpose: "batch", sample_type: "batch_request", source: "upload" }))
  })
})
server.listen(0, "127.0.0.1", () => console.log(server.address().port))
`

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

const main = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "upload-rss-"))
  const big = path.join(dir, "big.bin")
  const small = path.join(dir, "small.bin")
  const handle = fs.openSync(big, "w")
  const block = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < sizeMb; i++) fs.writeSync(handle, block.fill(i % 256))
  fs.closeSync(handle)
  fs.writeFileSync(small, "warm-up")

  const child = spawn(process.execPath, ["-e", sink], { stdio: ["ignore", "pipe", "inherit"] })
  const port = await new Promise<number>((resolve) =>
    child.stdout.once("data", (data) => resolve(Number(String(data))))
  )
  const options = { baseUrl: `http://127.0.0.1:${port}`, apiKey: Redacted.make("sk-test"), retryPolicy: false as const }
  const layer = MistralNode.layer(options)

  const uploadPath = (file: string) =>
    buffered
      ? Effect.flatMap(
          Effect.sync(() => new Uint8Array(fs.readFileSync(file))),
          (bytes) => Files.upload({ file: bytes, purpose: "batch" })
        )
      : blob
        ? Effect.flatMap(
            Effect.promise(() => fs.openAsBlob(file)),
            (opened) => Files.upload({ file: new File([opened], path.basename(file)), purpose: "batch" })
          )
        : NodeFiles.upload(file, { purpose: "batch" })

  const program = Effect.gen(function* () {
    yield* uploadPath(small) // warm-up: every code path loaded, the keep-alive socket open
    gc()
    yield* Effect.sleep("100 millis")
    gc()
    const baseline = process.memoryUsage.rss()
    let peak = baseline
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss())
    }, 2)
    const started = Date.now()
    const uploaded = yield* uploadPath(big)
    clearInterval(timer)
    peak = Math.max(peak, process.memoryUsage.rss())
    return { baseline, peak, uploaded, ms: Date.now() - started }
  })

  try {
    const result = await Effect.runPromise(program.pipe(Effect.provide(layer)))
    console.log(
      JSON.stringify({
        mode,
        sizeMb,
        serverReceivedBytes: result.uploaded.bytes,
        ms: result.ms,
        baselineRssMb: Number(mb(result.baseline)),
        peakRssMb: Number(mb(result.peak)),
        peakIncreaseMb: Number(mb(result.peak - result.baseline))
      })
    )
  } finally {
    child.kill()
    fs.rmSync(dir, { recursive: true })
  }
}

main()
