import { createHash } from "node:crypto"

/**
 * Deterministic identifiers: the n-th id of a kind is a hash of the kind and
 * n, so two runs that make the same calls see the same ids. Each kind counts
 * on its own, so extra requests of one kind (retries, reads) do not shift the
 * ids of another.
 */
export interface IdGenerator {
  /** `conv_` + 32 hex characters, as the API's ids look. */
  readonly next: (prefix: string) => string
  /** 9 alphanumeric characters, as the API's tool call ids look. */
  readonly toolCallId: () => string
  readonly requestId: () => string
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

export const makeIdGenerator = (seed = "mistral-emulator"): IdGenerator => {
  const counters = new Map<string, number>()
  const hash = (kind: string) => {
    const n = counters.get(kind) ?? 0
    counters.set(kind, n + 1)
    return createHash("sha256").update(`${seed}:${kind}:${n}`).digest()
  }
  return {
    next: (prefix) => `${prefix}_${hash(prefix).toString("hex").slice(0, 32)}`,
    toolCallId: () => {
      const bytes = hash("tool_call")
      let id = ""
      for (let i = 0; i < 9; i++) id += ALPHANUMERIC[bytes[i] % ALPHANUMERIC.length]
      return id
    },
    requestId: () => hash("request").toString("hex").slice(0, 32)
  }
}
