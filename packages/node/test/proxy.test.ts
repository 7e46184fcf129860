import * as Http from "node:http"
import * as Net from "node:net"
import * as Models from "@effect-mistral/core/Models"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as MistralNode from "../src/MistralNode.js"

/** The API: answers `GET /v1/models` with an empty list and counts what it served. */
let apiUrl = ""
let apiServed = 0
const api = Http.createServer((request, response) => {
  apiServed++
  response.writeHead(200, { "content-type": "application/json" })
  response.end(JSON.stringify({ object: "list", data: [], path: request.url }))
})

/** A forward proxy on loopback: `CONNECT host:port` tunnels, absolute-URI requests are forwarded. */
let proxyUrl = ""
const proxied: Array<string> = []
const proxy = Http.createServer((request, response) => {
  proxied.push(`${request.method} ${request.url}`)
  const target = new URL(request.url ?? "/")
  const upstream = Http.request(
    {
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method: request.method,
      headers: request.headers
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    }
  )
  upstream.on("error", () => response.destroy())
  request.pipe(upstream)
})
proxy.on("connect", (request: Http.IncomingMessage, socket: Net.Socket, head: Buffer) => {
  proxied.push(`CONNECT ${request.url}`)
  const [host, port] = (request.url ?? "").split(":")
  const upstream = Net.connect(Number(port), host, () => {
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n")
    upstream.write(head)
    upstream.pipe(socket)
    socket.pipe(upstream)
  })
  upstream.on("error", () => socket.destroy())
  socket.on("error", () => upstream.destroy())
})

const listen = (server: Http.Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as Net.AddressInfo).port}`))
  )

const variables = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"] as const
const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]))
const setEnv = (env: Partial<Record<(typeof variables)[number], string>>) => {
  for (const name of variables) delete process.env[name]
  Object.assign(process.env, env)
}

beforeAll(async () => {
  apiUrl = await listen(api)
  proxyUrl = await listen(proxy)
})
afterAll(() => {
  setEnv(Object.fromEntries(Object.entries(saved).filter(([, value]) => value !== undefined)) as never)
  api.close()
  proxy.close()
})

const listThrough = (options: MistralNode.NodeOptions = {}) =>
  Effect.provide(
    Models.list(),
    MistralNode.layer({ apiKey: Redacted.make("k"), baseUrl: apiUrl, retryPolicy: false, ...options })
  )

describe("the default transport and proxies", () => {
  it.effect("an explicit proxy option carries the request", () =>
    Effect.gen(function* () {
      setEnv({})
      proxied.length = 0
      const before = apiServed
      const list = yield* listThrough({ proxy: proxyUrl })
      expect(list.object).toBe("list")
      expect(apiServed).toBe(before + 1)
      expect(proxied.join(" ")).toContain(apiUrl.replace("http://", ""))
    })
  )

  it.effect("HTTP_PROXY from the environment is honoured", () =>
    Effect.gen(function* () {
      setEnv({ HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl })
      proxied.length = 0
      yield* listThrough()
      expect(proxied).toHaveLength(1)
      expect(proxied[0]).toContain(apiUrl.replace("http://", ""))
    })
  )

  it.effect("NO_PROXY skips the proxy for its hosts, and proxy: false ignores the environment", () =>
    Effect.gen(function* () {
      setEnv({ HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, NO_PROXY: "127.0.0.1" })
      proxied.length = 0
      yield* listThrough()
      expect(proxied).toHaveLength(0)
      setEnv({ HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl })
      yield* listThrough({ proxy: false })
      expect(proxied).toHaveLength(0)
    })
  )

  it.effect("without any proxy the request goes straight to the API", () =>
    Effect.gen(function* () {
      setEnv({})
      proxied.length = 0
      const before = apiServed
      yield* listThrough()
      expect(apiServed).toBe(before + 1)
      expect(proxied).toHaveLength(0)
    })
  )
})
