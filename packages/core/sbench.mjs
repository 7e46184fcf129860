import { Effect, Stream, Redacted, Chunk } from "effect"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as MistralClient from "./dist/MistralClient.js"
import { agents_api_v1_conversations_start_stream as op } from "./dist/generated/conversations.js"
const N = 20000
let body = `event: conversation.response.started\ndata: {"type":"conversation.response.started","conversation_id":"conv_1","created_at":"2026-01-01T00:00:00Z"}\n\n`
for (let i = 0; i < N; i++) body += `event: message.output.delta\ndata: ${JSON.stringify({ type: "message.output.delta", id: "msg_1", content: "word ", model: "mistral-small-latest", created_at: "2026-01-01T00:00:00Z", output_index: 0, content_index: 0, role: "assistant" })}\n\n`
body += `event: conversation.response.done\ndata: {"type":"conversation.response.done","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n`
const bytes = new TextEncoder().encode(body)
const http = HttpClient.make((request) => Effect.sync(() => {
  let off = 0
  const rs = new ReadableStream({ pull(c) { if (off >= bytes.length) return c.close(); c.enqueue(bytes.subarray(off, off + 65536)); off += 65536 } })
  return HttpClientResponse.fromWeb(request, new Response(rs, { headers: { "content-type": "text/event-stream" } }))
}))
const client = MistralClient.makeWith(http, { apiKey: Redacted.make("k"), baseUrl: "http://x" })
const mode = process.argv[2] ?? "chunks"
const run = () => {
  const s = client.stream(op, { body: { inputs: "x", model: "m", stream: true } })
  return mode === "fold" ? Stream.runFold(s, 0, (n) => n + 1) : Stream.runFold(Stream.mapChunks(s, (c) => Chunk.of(c.length)), 0, (n, k) => n + k)
}
for (let i = 0; i < 3; i++) await Effect.runPromise(run())
const t0 = process.cpuUsage(); const R = 10
for (let i = 0; i < R; i++) { const n = await Effect.runPromise(run()); if (n !== N + 2) throw new Error("count " + n) }
const d = process.cpuUsage(t0); console.log(mode, ((d.user + d.system) / R / (N + 2)).toFixed(2), "µs/event")
