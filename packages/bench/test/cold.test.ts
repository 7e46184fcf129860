/**
 * What a fresh process loads on its way to the first request (S5), checked on the built packages in a child
 * process: the barrels and `MistralNode.layer` load undici's dispatcher, not its entry point (fetch, WebSocket,
 * caches, mocks: most of undici's load time), and build none of the generated structs.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const script = `
import { createRequire } from "node:module"
import * as v8 from "node:v8"
const SchemaAST = await import("effect/SchemaAST")
await import("effect")
await import("@effect/platform")
const structs = () => v8.queryObjects(SchemaAST.TypeLiteral, { format: "count" })
const before = structs()
const { Conversations } = await import("@effect-mistral/core")
const { MistralNode } = await import("@effect-mistral/node")
const afterImport = structs()
const ManagedRuntime = await import("effect/ManagedRuntime")
const Redacted = await import("effect/Redacted")
const runtime = ManagedRuntime.make(MistralNode.layer({ apiKey: Redacted.make("k"), baseUrl: "http://127.0.0.1:9" }))
await runtime.runPromise(Conversations.Conversations)
const afterLayer = structs()
const loaded = Object.keys(createRequire(process.cwd() + "/").cache).filter((file) => file.includes("/undici/"))
await runtime.dispose()
process.stdout.write(JSON.stringify({
  structsAtImport: afterImport - before,
  structsAtLayer: afterLayer - afterImport,
  undiciEntryPoint: loaded.some((file) => file.endsWith("/undici/index.js")),
  undiciAgent: loaded.some((file) => file.endsWith("/undici/lib/dispatcher/agent.js"))
}))
`

describe("S5 cold start", () => {
  it("the barrels and MistralNode.layer load undici's Agent without its entry point, and build no generated struct", () => {
    const child = spawnSync(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      timeout: 60_000
    })
    expect(child.stderr).toBe("")
    const seen = JSON.parse(child.stdout) as Record<string, unknown>
    expect(seen).toEqual({
      // the structs hand-written modules declare at load: `Batch.BatchResult` (2), the progress values of `Batch`
      // (`Uploading`, `Uploaded`, `JobProgress`) and of `Files` (`UploadProgress`), and what they hold; none generated
      structsAtImport: 10,
      structsAtLayer: 0,
      undiciEntryPoint: false,
      undiciAgent: true
    })
  })
})
