import * as HttpClient from "@effect/platform/HttpClient"
import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as RateLimiterRedis from "@effect/experimental/RateLimiter/Redis"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Redacted, Stream, TestClock } from "effect"
import { Operations } from "../src/generated/Operations.js"
import * as MistralClient from "../src/MistralClient.js"
import * as MistralRateLimit from "../src/MistralRateLimit.js"
import { type Answer, fakeHttp, type Recorded } from "./fixtures/fakeHttp.js"
import { RedisServer } from "@effect-mistral/testing"

const chat = Operations.chat_completion_v1_chat_completions_post

const completion = (totalTokens: number): Answer => ({
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    id: "c",
    object: "chat.completion",
    model: "m",
    created: 1,
    choices: [],
    usage: { prompt_tokens: totalTokens - 1, completion_tokens: 1, total_tokens: totalTokens }
  })
})

const request = (maxTokens?: number) => ({
  body: {
    model: "mistral-small-latest",
    messages: [{ role: "user" as const, content: "Hi" }],
    ...(maxTokens === undefined ? {} : { max_tokens: maxTokens })
  }
})

/** A client over a recording fake, with the budget the layer provides. */
const clientWith = (
  budget: Layer.Layer<MistralRateLimit.MistralRateLimit>,
  script: ReadonlyArray<Answer> | ((request: Recorded, index: number) => Answer)
) => {
  const fake = fakeHttp(script)
  return Effect.map(
    Layer.build(
      MistralClient.layer({
        apiKey: Redacted.make("sk-budget"),
        baseUrl: "http://mistral.test",
        retryPolicy: false
      }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client)), Layer.provide(budget))
    ),
    (context) => ({ client: Context.get(context, MistralClient.MistralClient), recorded: fake.recorded })
  )
}

/** The most requests sent within any `window` ms. */
const busiestWindow = (times: ReadonlyArray<number>, window: number): number => {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let i = 0; i < sorted.length; i++) {
    let j = i
    while (j < sorted.length && sorted[j] - sorted[i] < window) j++
    most = Math.max(most, j - i)
  }
  return most
}

const times = (recorded: ReadonlyArray<Recorded>) => recorded.map((entry) => entry.at)

describe("MistralRateLimit, memory store", () => {
  it.effect("concurrent calls stay inside the requests-per-second budget, none refused (TestClock: exact slots)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // under the TestClock the store, the sleeps and the fake's clock are one virtual clock: no scheduling jitter
        const { client, recorded } = yield* clientWith(MistralRateLimit.layerMemory({ requestsPerSecond: 20 }), [
          completion(10)
        ])
        const burst = yield* Effect.fork(
          Effect.forEach(Array.from({ length: 30 }), () => client.call(chat, request(5)), { concurrency: 30 })
        )
        yield* Effect.repeatN(TestClock.adjust("5 millis"), 600)
        yield* Fiber.join(burst)
        expect(recorded).toHaveLength(30)
        const at = times(recorded).sort((a, b) => a - b)
        // at most the limit in any second and its margin (50 ms): slots 1.05 s / 20 = 52.5 ms apart
        expect(busiestWindow(at, 1000)).toBeLessThanOrEqual(20)
        expect(busiestWindow(at, 1050)).toBeLessThanOrEqual(20)
        // and no slower: 29 spacings of 52.5 ms (to the 5 ms steps of the clock)
        expect(at[29] - at[0]).toBeGreaterThanOrEqual(1_520)
        expect(at[29] - at[0]).toBeLessThanOrEqual(1_560)
      })
    )
  )

  it.live("a 429 with Retry-After pauses the shared budget for every caller", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { client, recorded } = yield* clientWith(
          MistralRateLimit.layerMemory({ requestsPerSecond: 50 }),
          (_, i) =>
            i === 0 ? { status: 429, headers: { "retry-after": "1" }, body: '{"message":"slow down"}' } : completion(10)
        )
        const first = yield* Effect.flip(client.call(chat, request(5)))
        expect(first._tag).toBe("RateLimited")
        yield* Effect.forEach(Array.from({ length: 4 }), () => client.call(chat, request(5)), { concurrency: 4 })
        const [limited, ...after] = times(recorded)
        expect(after).toHaveLength(4)
        for (const at of after) expect(at - limited).toBeGreaterThanOrEqual(900)
      })
    )
  )

  it.live("a wait longer than maxWait fails with BudgetExhausted and sends nothing", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { client, recorded } = yield* clientWith(
          MistralRateLimit.layerMemory({ requestsPerSecond: 1, maxWait: "100 millis" }),
          [completion(10)]
        )
        yield* client.call(chat, request(5))
        const error = yield* Effect.flip(client.call(chat, request(5)))
        expect(error._tag).toBe("BudgetExhausted")
        expect(error._tag === "BudgetExhausted" && error.budget).toBe("requests")
        expect(error.message).not.toContain("sk-budget")
        expect(recorded).toHaveLength(1)
      })
    )
  )

  it.live("tokens are estimated before and settled against usage after: an over-estimate is given back", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // 6,000 tokens a minute: a bucket of 100 (a second's worth), refilled at about 98 a second
        const budget = MistralRateLimit.layerMemory({ tokensPerMinute: { "mistral-small-latest": 6_000 } })
        const { client, recorded } = yield* clientWith(budget, [completion(20)])
        // the estimate (1,000 completion tokens and the prompt) takes the whole bucket; the answer used 20
        yield* client.call(chat, request(1_000))
        // given back: the next one fits without waiting (it would wait ~6 s otherwise)
        yield* MistralClient.withRateLimit(client.call(chat, request(500)), { maxWait: "500 millis" })
        expect(recorded).toHaveLength(2)
        // a model without a limit is not counted; an explicit token count replaces the estimate
        yield* client.call(chat, { body: { ...request(100_000).body, model: "other" } })
        const tooMany = yield* Effect.flip(
          MistralClient.withRateLimit(client.call(chat, request(10)), { tokens: 600, maxWait: "100 millis" })
        )
        expect(tooMany._tag === "BudgetExhausted" && tooMany.budget).toBe("tokens")
      })
    )
  )

  it.effect("the estimate counts the body's text and max_tokens, not its JSON", () =>
    Effect.gen(function* () {
      const budget = yield* MistralRateLimit.make({ tokensPerMinute: 6_000 }).pipe(
        Effect.provide(RateLimiter.layerStoreMemory)
      )
      const body = {
        model: "mistral-small-latest",
        max_tokens: 10,
        messages: [{ role: "user", content: "x".repeat(40) }]
      }
      // "user" and the 40 characters: 11 tokens, whatever the encoded size says
      expect(budget.estimate(body, 4_000)).toEqual({ model: "mistral-small-latest", tokens: 21 })
      // no max_tokens: the default completion
      expect(budget.estimate({ ...body, max_tokens: undefined }, 0).tokens).toBe(11 + 512)
      // a body that is not an object (nothing to read the text of) counts by its size
      expect(budget.estimate(undefined, 400).tokens).toBe(100 + 512)
    })
  )

  it.live("a stream takes a slot and is settled when it ends", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const budget = MistralRateLimit.layerMemory({ tokensPerMinute: 6_000, requestsPerSecond: 100 })
        const events = [
          'data: {"id":"c","object":"chat.completion.chunk","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n',
          'data: {"id":"c","object":"chat.completion.chunk","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}}\n\n',
          "data: [DONE]\n\n"
        ].join("")
        const { client, recorded } = yield* clientWith(budget, [
          { headers: { "content-type": "text/event-stream" }, body: events }
        ])
        for (let i = 0; i < 3; i++) {
          yield* MistralClient.withRateLimit(
            Effect.asVoid(Effect.exit(Stream.runDrain(client.stream(chat, request(1_000))))),
            { maxWait: "500 millis" }
          )
        }
        expect(recorded).toHaveLength(3)
      })
    )
  )
})

describe("MistralRateLimit.layerFromApi", () => {
  it.live("reads the key's limits once from GET /v1/admin/rate-limit with the admin key", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const admin = fakeHttp([
          {
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              requests_per_second: 1,
              tokens_limits_by_model: { "mistral-small-latest": { tokens_per_minute: 6_000, tokens_per_month: 1e9 } }
            })
          }
        ])
        const budget = MistralRateLimit.layerFromApi({
          adminKey: Redacted.make("sk-admin"),
          baseUrl: "http://mistral.test",
          maxWait: "100 millis"
        }).pipe(
          Layer.provide(RateLimiter.layerStoreMemory),
          Layer.provide(Layer.succeed(HttpClient.HttpClient, admin.client)),
          Layer.orDie
        )
        const { client, recorded } = yield* clientWith(budget, [completion(10)])
        expect(admin.recorded.map((entry) => `${entry.method} ${entry.url.pathname}`)).toEqual([
          "GET /v1/admin/rate-limit"
        ])
        expect(admin.recorded[0].headers.authorization).toBe("Bearer sk-admin")
        yield* client.call(chat, request(5))
        const error = yield* Effect.flip(client.call(chat, request(5)))
        expect(error._tag === "BudgetExhausted" && error.budget).toBe("requests")
        expect(recorded).toHaveLength(1)
      })
    )
  )
})

describe.runIf(RedisServer.available())("MistralRateLimit, Redis store (a real redis-server)", () => {
  let redis: RedisServer.Server
  beforeAll(async () => {
    redis = await RedisServer.start()
  }, 20_000)
  afterAll(async () => {
    await redis?.stop()
  })

  const redisBudget = (prefix: string) =>
    MistralRateLimit.layer({ requestsPerSecond: 20, key: "workspace-a" }).pipe(
      Layer.provide(RateLimiterRedis.layerStore({ host: "127.0.0.1", port: redis.port, prefix }))
    )

  it.live(
    "two clients on separate connections share one budget",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const prefix = `test-${Date.now()}:`
          const a = yield* clientWith(redisBudget(prefix), [completion(10)])
          const b = yield* clientWith(redisBudget(prefix), [completion(10)])
          const burst = (client: MistralClient.Service) =>
            Effect.forEach(Array.from({ length: 15 }), () => client.call(chat, request(5)), { concurrency: 15 })
          const started = Date.now()
          yield* Effect.all([burst(a.client), burst(b.client)], { concurrency: 2 })
          const elapsed = Date.now() - started
          const all = [...times(a.recorded), ...times(b.recorded)]
          expect(all).toHaveLength(30)
          // one budget for both: 29 spacings of 52.5 ms (each alone would take 14 spacings; a stalled machine only
          // makes it longer). The exact spacing is checked under the TestClock above.
          expect(elapsed).toBeGreaterThanOrEqual(1_450)
          // requests that reach the fake late (a loaded machine) can bunch; within the margin the test gives
          expect(busiestWindow(all, 700)).toBeLessThanOrEqual(20)
        })
      ),
    30_000
  )

  it.live(
    "a 429 seen by one client pauses the other",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const prefix = `pause-${Date.now()}:`
          const a = yield* clientWith(redisBudget(prefix), [
            { status: 429, headers: { "retry-after": "1" }, body: "{}" }
          ])
          const b = yield* clientWith(redisBudget(prefix), [completion(10)])
          yield* Effect.flip(a.client.call(chat, request(5)))
          const limitedAt = a.recorded[0].at
          yield* b.client.call(chat, request(5))
          expect(b.recorded[0].at - limitedAt).toBeGreaterThanOrEqual(900)
        })
      ),
    30_000
  )
})
