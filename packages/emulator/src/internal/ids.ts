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
  /** 32 hex characters, as the API's completion ids look. */
  readonly hex: (kind: string) => string
  /** A UUID (version 4 layout), as the API's file and batch job ids look. */
  readonly uuid: (kind: string) => string
  /** A hash of `parts` under the generator's seed: 64 hex characters, no counter involved. */
  readonly digest: (...parts: ReadonlyArray<string>) => string
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
    requestId: () => hash("request").toString("hex").slice(0, 32),
    hex: (kind) => hash(kind).toString("hex").slice(0, 32),
    uuid: (kind) => {
      const hex = hash(kind).toString("hex")
      const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
    },
    digest: (...parts) =>
      createHash("sha256")
        .update(`${seed}:${parts.join("\u0000")}`)
        .digest("hex")
  }
}
