/**
 * The emulator's own rate limits, as the API enforces them per key: requests per second, and tokens per minute per
 * model, each over a sliding window (1 s, 60 s). A request is refused with 429 when its key already sent
 * `requestsPerSecond` requests in the last second, or when the tokens its model used in the last minute reached the
 * model's limit; `Retry-After` says when the oldest counted use leaves the window. The tokens charged are the
 * `usage.total_tokens` of the answer (for a stream, of the event that reports it), after it is sent.
 */

/**
 * @since 0.2.0
 * @category models
 */
export interface RateLimits {
  /** Requests per second, per API key. */
  readonly requestsPerSecond?: number | undefined
  /** Tokens per minute per model and key: one number for every model, or per model (`"*"` for the others). */
  readonly tokensPerMinute?: number | Readonly<Record<string, number>> | undefined
}

interface Use {
  readonly at: number
  readonly tokens: number
}

const SECOND = 1_000
const MINUTE = 60_000

/** Drops the uses older than `window` before `now`. */
const prune = (uses: Array<Use>, now: number, window: number): void => {
  let drop = 0
  while (drop < uses.length && uses[drop].at <= now - window) drop++
  if (drop > 0) uses.splice(0, drop)
}

export interface Limiter {
  readonly limits: RateLimits
  /** How long the request must wait (ms), or 0 when it may go now (and is then counted). */
  readonly admit: (key: string, model: string | undefined, now: number) => number
  /** Charges a model's tokens to a key. */
  readonly charge: (key: string, model: string | undefined, tokens: number, now: number) => void
  /** The tokens-per-minute limit of a model, if it has one. */
  readonly tokenLimit: (model: string | undefined) => number | undefined
  /** Forgets every window (the emulator's `reset`). */
  readonly clear: () => void
}

export const makeLimiter = (limits: RateLimits): Limiter => {
  const requests = new Map<string, Array<Use>>()
  const tokens = new Map<string, Array<Use>>()
  const usesOf = (map: Map<string, Array<Use>>, key: string) => {
    let uses = map.get(key)
    if (uses === undefined) {
      uses = []
      map.set(key, uses)
    }
    return uses
  }
  const tokenLimit = (model: string | undefined): number | undefined => {
    const tpm = limits.tokensPerMinute
    if (tpm === undefined || model === undefined) return undefined
    return typeof tpm === "number" ? tpm : (tpm[model] ?? tpm["*"])
  }
  return {
    limits,
    tokenLimit,
    admit: (key, model, now) => {
      const rps = limits.requestsPerSecond
      const sent = usesOf(requests, key)
      prune(sent, now, SECOND)
      if (rps !== undefined && sent.length >= rps) return sent[sent.length - rps].at + SECOND - now
      const tpm = tokenLimit(model)
      if (tpm !== undefined) {
        const used = usesOf(tokens, `${key}\u0000${model}`)
        prune(used, now, MINUTE)
        let total = used.reduce((sum, use) => sum + use.tokens, 0)
        if (total >= tpm) {
          // wait until enough of the oldest uses leave the window to bring the total under the limit
          for (const use of used) {
            total -= use.tokens
            if (total < tpm) return use.at + MINUTE - now
          }
        }
      }
      sent.push({ at: now, tokens: 1 })
      return 0
    },
    clear: () => {
      requests.clear()
      tokens.clear()
    },
    charge: (key, model, count, now) => {
      if (tokenLimit(model) === undefined || count <= 0) return
      usesOf(tokens, `${key}\u0000${model}`).push({ at: now, tokens: count })
    }
  }
}

/** The model a JSON request body names, if any. */
export const modelOf = (body: string): string | undefined => {
  if (!body.includes('"model"')) return undefined
  try {
    const parsed: unknown = JSON.parse(body)
    const model = typeof parsed === "object" && parsed !== null ? (parsed as { model?: unknown }).model : undefined
    return typeof model === "string" ? model : undefined
  } catch {
    return undefined
  }
}

const totalTokens = /"total_tokens"\s*:\s*(\d+)/

/** The `usage.total_tokens` a JSON text (an answer, or an event frame) reports, if any. */
export const tokensIn = (text: string): number | undefined => {
  const match = totalTokens.exec(text)
  return match === null ? undefined : Number(match[1])
}

/** `GET /v1/admin/rate-limit`: the limits in force, in the API's `RateLimitsOUT` shape (0: no limit). */
export const describe = (limits: RateLimits) => {
  const tpm = limits.tokensPerMinute
  const byModel: Record<string, number> = tpm === undefined ? {} : typeof tpm === "number" ? { "*": tpm } : { ...tpm }
  return {
    requests_per_second: limits.requestsPerSecond ?? 0,
    tokens_limits_by_model: Object.fromEntries(
      Object.entries(byModel).map(([model, perMinute]) => [
        model,
        { tokens_per_minute: perMinute, tokens_per_month: perMinute * 60 * 24 * 30 }
      ])
    )
  }
}
