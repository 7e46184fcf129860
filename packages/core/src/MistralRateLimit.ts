/**
 * A budget every worker on one key shares: before a request is sent it takes one request from the key's
 * requests-per-second budget and an estimate of its tokens from the model's tokens-per-minute budget, waiting when a
 * budget is spent; after the answer the estimate is settled against the answer's `usage`. A 429 with `Retry-After`
 * pauses the whole shared budget for that long, so the other workers do not hit the limit too.
 *
 * The engine is `@effect/experimental`'s `RateLimiter` (token buckets, `onExceeded: "delay"`) over the
 * `RateLimiterStore` the program provides: `RateLimiter.layerStoreMemory` for one process, the Redis store
 * (`@effect/experimental/RateLimiter/Redis`) for many processes and machines. Provide `layer(options)` under the
 * client's layer and every request of that client goes through the budget.
 *
 * The buckets never let more than a limit through in any window of its length, even a window a `margin` longer (for
 * the time between a slot and the server counting the request): a bucket holds a small burst (one request; a
 * second's worth of tokens) and refills so that the burst and the refill over the window and its margin make the
 * limit. A server that counts in sliding windows sees at most the limit while requests reach it within the margin of
 * their slots.
 *
 * @since 0.2.0
 */
import * as RateLimiter from "@effect/experimental/RateLimiter"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as AdminOperations from "./generated/adminBilling.js"
import { type Budget, type Exhausted, MistralBudget } from "./MistralBudget.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Limits {
  /** The key's requests per second (`RateLimitsOUT.requests_per_second`). */
  readonly requestsPerSecond?: number | undefined
  /**
   * Tokens per minute: one number for every model, or per model (`tokens_limits_by_model`), with `"*"` for the
   * models not listed. A model without a limit is not counted.
   */
  readonly tokensPerMinute?: number | Readonly<Record<string, number>> | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Options extends Limits {
  /**
   * The name of the shared budget: every process that gives the same key (and store) shares it. Use one per API key
   * (workspace). Default `"default"`.
   */
  readonly key?: string | undefined
  /** The longest wait for the budget; a request that would wait longer fails with `BudgetExhausted`. Default 30 s. */
  readonly maxWait?: Duration.DurationInput | undefined
  /** The completion tokens counted for a request that sets no `max_tokens`. Default 512. */
  readonly defaultMaxTokens?: number | undefined
  /**
   * The time between taking a slot and the server counting the request (scheduling, the network): the buckets let
   * at most a limit through in its window and this margin. Default 50 ms.
   */
  readonly margin?: Duration.DurationInput | undefined
  /**
   * A share of each limit left unused, for other clients of the same key that do not share the budget. Default 0.
   */
  readonly headroom?: number | undefined
}

export {
  /**
   * @since 0.2.0
   * @category models
   */
  type Budget,
  /**
   * @since 0.2.0
   * @category models
   */
  type Exhausted,
  /**
   * @since 0.2.0
   * @category tags
   */
  MistralBudget as MistralRateLimit,
  /**
   * @since 0.2.0
   * @category models
   */
  type Take
} from "./MistralBudget.js"

/**
 * A bucket that holds a `burst` and refills so that in any `window` and `margin` it lets through at most the limit
 * (less the headroom): the burst, and the refill over the window and margin. Counted in whole requests, a burst of
 * one adds nothing to the refill's own count (the first of `limit` evenly spaced slots), hence the `+ 1`.
 */
interface Bucket {
  readonly key: string
  readonly limit: number
  readonly window: Duration.Duration
}

const bucket = (
  key: string,
  limit: number,
  window: Duration.Duration,
  burst: number,
  margin: Duration.Duration,
  headroom: number
): Bucket => {
  const capacity = Math.max(1, Math.floor(Math.min(burst, limit)))
  const rate = ((limit - capacity + 1) * (1 - headroom)) / (Duration.toMillis(window) + Duration.toMillis(margin))
  // RateLimiter refills `limit` tokens per `window`: a bucket of `capacity` refilled at `rate` per ms
  return { key, limit: capacity, window: Duration.millis(capacity / rate) }
}

const CHARS_PER_TOKEN = 4

/**
 * The characters of a body's text: every string in it but the model's name (messages, inputs, instructions, tool
 * descriptions). JSON's own punctuation and keys are not text the model reads as such, and counting them (the
 * encoded size) held about twice a short prompt's tokens until the answer settled them.
 */
const textLength = (body: unknown): number => {
  let length = 0
  const stack: Array<unknown> = [body]
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value === "string") length += value.length
    else if (Array.isArray(value)) for (const item of value) stack.push(item)
    else if (typeof value === "object" && value !== null) {
      for (const key in value) if (key !== "model") stack.push((value as Record<string, unknown>)[key])
    }
  }
  return length
}

const modelOf = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const model = (body as { readonly model?: unknown }).model
  return typeof model === "string" ? model : undefined
}

const maxTokensOf = (body: unknown): number | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const record = body as Record<string, unknown>
  const args = record.completion_args as Record<string, unknown> | undefined
  const value = record.max_tokens ?? args?.max_tokens
  return typeof value === "number" && value >= 0 ? value : undefined
}

/**
 * Builds a budget over the `RateLimiterStore` in context.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Budget, never, RateLimiter.RateLimiterStore> =>
  Effect.zipWith(RateLimiter.make, RateLimiter.RateLimiterStore, (limiter, store) => makeWith(limiter, store, options))

/**
 * Builds a budget over the given `RateLimiter` and its store (a pause and a settlement move a bucket by more than
 * its size, which only the store's own operation allows).
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeWith = (
  limiter: RateLimiter.RateLimiter,
  store: Context.Tag.Service<RateLimiter.RateLimiterStore>,
  options: Options
): Budget => {
  const name = `effect-mistral:${options.key ?? "default"}`
  const maxWait = Duration.decode(options.maxWait ?? "30 seconds")
  const defaultMaxTokens = options.defaultMaxTokens ?? 512
  const second = Duration.seconds(1)
  const minute = Duration.minutes(1)
  const margin = Duration.decode(options.margin ?? "50 millis")
  const headroom = Math.min(Math.max(options.headroom ?? 0, 0), 0.9)
  const rps = options.requestsPerSecond
  const requests =
    rps === undefined || rps <= 0 ? undefined : bucket(`${name}:requests`, rps, second, 1, margin, headroom)
  const tpm = options.tokensPerMinute
  const tokenBuckets = new Map<string, Bucket | undefined>()
  const tokensFor = (model: string | undefined): Bucket | undefined => {
    if (tpm === undefined || model === undefined) return undefined
    if (tokenBuckets.has(model)) return tokenBuckets.get(model)
    const limit = typeof tpm === "number" ? tpm : (tpm[model] ?? tpm["*"])
    // a burst of one second's worth of tokens
    const found =
      limit === undefined || limit <= 0
        ? undefined
        : bucket(`${name}:tokens:${model}`, limit, minute, limit / 60, margin, headroom)
    tokenBuckets.set(model, found)
    return found
  }
  const consume = (target: Bucket, tokens: number) =>
    Effect.map(
      Effect.orDie(
        limiter.consume({
          algorithm: "token-bucket",
          onExceeded: "delay",
          key: target.key,
          limit: target.limit,
          window: target.window,
          tokens
        })
      ),
      (result) => result.delay
    )
  /** Moves a bucket by `tokens` (negative gives back), below zero if need be: later takers wait for it. */
  const charge = (target: Bucket, tokens: number) =>
    Effect.asVoid(
      Effect.orDie(
        store.tokenBucket({
          key: target.key,
          tokens,
          limit: target.limit,
          refillRate: Duration.unsafeDivide(target.window, target.limit),
          allowOverflow: true
        })
      )
    )
  // the slot is `delay` after the moment the store was asked, not after its answer: the store's round trip (Redis)
  // is taken off the wait, so slots stay evenly spaced however long the answer took
  const wait = (target: Bucket, tokens: number, budget: Exhausted["budget"], longest: Duration.Duration) =>
    Effect.clockWith((clock) => {
      const asked = clock.unsafeCurrentTimeMillis()
      return Effect.flatMap(consume(target, tokens), (delay) => {
        if (Duration.greaterThan(delay, longest)) return Effect.fail<Exhausted>({ budget, wait: delay })
        const left = Duration.toMillis(delay) - (clock.unsafeCurrentTimeMillis() - asked)
        return left <= 0 ? Effect.void : Effect.sleep(Duration.millis(left))
      })
    })
  return {
    estimate: (body, size) => {
      const prompt = Math.ceil((typeof body === "object" && body !== null ? textLength(body) : size) / CHARS_PER_TOKEN)
      return { model: modelOf(body), tokens: prompt + (maxTokensOf(body) ?? defaultMaxTokens) }
    },
    take: ({ model, tokens, maxWait: longest = maxWait }) => {
      const target = tokensFor(model)
      // a request larger than a whole bucket could never be taken: it takes the bucket
      const taken = target === undefined ? 0 : Math.min(tokens, target.limit)
      const tokenWait = target === undefined ? Effect.void : wait(target, taken, "tokens", longest)
      const requestWait = requests === undefined ? Effect.void : wait(requests, 1, "requests", longest)
      // the request slot last: the request is sent at its slot, whatever the tokens made it wait before
      return Effect.as(Effect.zipRight(tokenWait, requestWait), taken)
    },
    settle: (model, taken, used) => {
      const target = tokensFor(model)
      if (target === undefined || used === taken) return Effect.void
      return charge(target, used - taken)
    },
    pause: (duration) => {
      if (requests === undefined) return Effect.void
      const perToken = Duration.toMillis(requests.window) / requests.limit
      const tokens = Math.ceil(Duration.toMillis(duration) / perToken)
      return tokens <= 0 ? Effect.void : charge(requests, tokens)
    }
  }
}

/**
 * A budget over the `RateLimiter` built on the `RateLimiterStore` in context (memory or Redis).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<MistralBudget, never, RateLimiter.RateLimiterStore> =>
  Layer.effect(MistralBudget, make(options))

/**
 * A budget for one process: `layer` over `RateLimiter.layerStoreMemory`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerMemory = (options: Options): Layer.Layer<MistralBudget> =>
  Layer.provide(layer(options), RateLimiter.layerStoreMemory)

/**
 * The limits the API reports for a key (`GET /v1/admin/rate-limit`, an admin key), as `Limits`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const limitsOf = (answer: {
  readonly requests_per_second: number
  readonly tokens_limits_by_model: { readonly [model: string]: { readonly tokens_per_minute: number } }
}): Limits => ({
  requestsPerSecond: answer.requests_per_second,
  tokensPerMinute: Object.fromEntries(
    Object.entries(answer.tokens_limits_by_model).map(([model, limits]) => [model, limits.tokens_per_minute])
  )
})

/**
 * A budget whose limits are read once from the API (`GET /v1/admin/rate-limit`, which needs an admin key) over the
 * `HttpClient` in context; `options` give everything else (the key of the budget, `maxWait`, …).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerFromApi = (
  options: Omit<Options, keyof Limits> & {
    readonly adminKey: Redacted.Redacted
    readonly baseUrl?: string | undefined
  }
): Layer.Layer<
  MistralBudget,
  MistralError.MistralError | MistralError.ConfigurationError,
  RateLimiter.RateLimiterStore | HttpClient.HttpClient
> =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.flatMap(MistralClient.make({ apiKey: options.adminKey, baseUrl: options.baseUrl }), (client) =>
        client.call(AdminOperations.users_api_admin_rate_limits_get_rate_limits)
      ),
      (answer) => {
        const { adminKey: _, baseUrl: __, ...rest } = options
        return layer({ ...rest, ...limitsOf(answer) })
      }
    )
  )
