/**
 * undici, loaded by the part a caller needs. Its entry point loads everything it has (fetch, WebSocket, caches,
 * mocks, interceptors): about three times what the keep-alive `Agent` and the request API cost, and most of the
 * time a process that makes one request spends in undici before it sends (measured: ~150 ms against ~45 ms on
 * these machines). The transport needs the `Agent` only; proxies and WebSockets take the entry point, when used.
 */
import { createRequire } from "node:module"
import type * as Undici from "undici"

const require = createRequire(import.meta.url)

let entryPoint: typeof Undici | undefined

/** The whole of undici (its entry point), loaded on the first call. */
export const full = (): typeof Undici => {
  if (entryPoint === undefined) entryPoint = require("undici") as typeof Undici
  return entryPoint
}

let agent: typeof Undici.Agent | undefined

/**
 * undici's `Agent` class, with the request API (`request`, `stream`, …) on every dispatcher as undici's entry point
 * puts it there. The modules are undici's own (the ones its entry point loads, so classes are the same); should a
 * version lay them out differently, the entry point is loaded instead.
 */
export const Agent = (): typeof Undici.Agent => {
  if (agent === undefined) agent = entryPoint?.Agent ?? loadAgent()
  return agent
}

const loadAgent = (): typeof Undici.Agent => {
  try {
    const dispatcher = require("undici/lib/dispatcher/dispatcher.js") as { prototype: Record<string, unknown> }
    const api = require("undici/lib/api/index.js") as Record<string, unknown>
    const loaded = require("undici/lib/dispatcher/agent.js") as typeof Undici.Agent
    if (typeof dispatcher.prototype.request !== "function") Object.assign(dispatcher.prototype, api)
    if (typeof loaded === "function" && typeof loaded.prototype.request === "function") return loaded
  } catch {
    // another layout: the entry point below
  }
  return full().Agent
}
