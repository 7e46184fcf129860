/**
 * The loopback server the clients are measured against: fixed answers, built once, sent whole.
 *
 * Routes (an optional `/n/<events>` prefix sets how many deltas a stream carries, default 100):
 * - `POST /v1/conversations`: a `ConversationResponse`, or with `"stream":true` an SSE stream of `<events>`
 *   `message.output.delta` events framed by `conversation.response.started` / `conversation.response.done`;
 * - `POST /v1/chat/completions`: a `ChatCompletionResponse`, or with `"stream":true` `<events>` chunks and
 *   `data: [DONE]`;
 * - `GET /v1/conversations/{id}/history`: a `ConversationHistory` of `<events>` entries.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Payloads from "./payloads.js"

export interface BenchServer {
  readonly origin: string
  /** Requests answered so far. */
  readonly requests: () => number
  readonly close: () => Promise<void>
}

const DEFAULT_EVENTS = 100
const MAX_EVENTS = 1_000_000
const route = /^(?:\/n\/(\d+))?\/v1\/(conversations|chat\/completions)(?:\?.*)?$/
const historyRoute = /^(?:\/n\/(\d+))?\/v1\/conversations\/[^/]+\/history(?:\?.*)?$/

const jsonHeaders = (body: Buffer) => ({
  "content-type": "application/json",
  "content-length": String(body.length),
  "x-request-id": "bench-request"
})
const sseHeaders = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-request-id": "bench-request"
}

const conversationJson = Buffer.from(JSON.stringify(Payloads.conversationResponse))
const chatJson = Buffer.from(JSON.stringify(Payloads.chatCompletionResponse))
const conversationStreams = new Map<number, Buffer>()
const chatStreams = new Map<number, Buffer>()
const histories = new Map<number, Buffer>()

const cached = (cache: Map<number, Buffer>, n: number, build: (n: number) => string): Buffer => {
  let body = cache.get(n)
  if (body === undefined) {
    body = Buffer.from(build(n))
    cache.set(n, body)
  }
  return body
}

/** Builds the stream bodies ahead of time so the first measured request does not pay for them. */
export const prepare = (events: ReadonlyArray<number>): void => {
  for (const n of events) {
    cached(conversationStreams, n, Payloads.conversationStreamBody)
    cached(chatStreams, n, Payloads.chatStreamBody)
  }
}

const notFound = (response: Http.ServerResponse, detail: string) => {
  const body = Buffer.from(JSON.stringify({ object: "error", message: detail, type: "not_found", code: "404" }))
  response.writeHead(404, jsonHeaders(body)).end(body)
}

const handle = (request: Http.IncomingMessage, response: Http.ServerResponse, body: string): void => {
  const history = request.method === "GET" ? historyRoute.exec(request.url ?? "") : null
  if (history !== null) {
    const entries = history[1] === undefined ? DEFAULT_EVENTS : Math.min(Number(history[1]), MAX_EVENTS)
    const json = cached(histories, entries, (n) => JSON.stringify(Payloads.conversationHistory(n)))
    response.writeHead(200, jsonHeaders(json)).end(json)
    return
  }
  const match = request.method === "POST" ? route.exec(request.url ?? "") : null
  if (match === null) {
    notFound(response, `no route for ${request.method} ${request.url}`)
    return
  }
  const events = match[1] === undefined ? DEFAULT_EVENTS : Math.min(Number(match[1]), MAX_EVENTS)
  const chat = match[2] === "chat/completions"
  if (/"stream"\s*:\s*true/.test(body)) {
    const sse = chat
      ? cached(chatStreams, events, Payloads.chatStreamBody)
      : cached(conversationStreams, events, Payloads.conversationStreamBody)
    response.writeHead(200, { ...sseHeaders, "content-length": String(sse.length) }).end(sse)
    return
  }
  const json = chat ? chatJson : conversationJson
  response.writeHead(200, jsonHeaders(json)).end(json)
}

/** Starts the server on a free loopback port. */
export const startServer = (port = 0): Promise<BenchServer> =>
  new Promise((resolve, reject) => {
    let requests = 0
    const server = Http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        requests++
        handle(request, response, Buffer.concat(chunks).toString("utf8"))
      })
    })
    server.maxRequestsPerSocket = 0
    server.once("error", reject)
    // room for a thousand connections opening at once (the concurrency curve)
    server.listen({ port, host: "127.0.0.1", backlog: 4096 }, () => {
      const { port } = server.address() as AddressInfo
      resolve({
        origin: `http://127.0.0.1:${port}`,
        requests: () => requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
