import * as AdminBilling from "@effect-mistral/core/generated/adminBilling"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { MistralEmulator } from "../src/index.js"
import { call, decodes } from "./support.js"

const model = "mistral-small-latest"
const chat = (content: string, stream = false) => ({
  model,
  messages: [{ role: "user", content }],
  ...(stream ? { stream: true } : {})
})

/** Real time: the waits are the server's. */
const live = { excludeTestServices: true } as const

const fresh = Effect.gen(function* () {
  const emulator = yield* MistralEmulator.MistralEmulator
  yield* emulator.reset
  return emulator
})

const limitedCount = (emulator: MistralEmulator.Service) =>
  Effect.map(emulator.requests, (requests) => requests.filter((request) => request.rateLimited).length)

describe("emulator rate limits", () => {
  layer(MistralEmulator.layer({ rateLimits: { requestsPerSecond: 3 } }), live)("requests per second", (it) => {
    it.effect("over the budget: 429 with Retry-After and the API's error body, not executed; after the wait, 200", () =>
      Effect.gen(function* () {
        const emulator = yield* fresh
        for (let i = 0; i < 3; i++) {
          assert.strictEqual((yield* call(emulator, "POST", "/v1/chat/completions", { body: chat("a") })).status, 200)
        }
        const limited = yield* call(emulator, "POST", "/v1/conversations", { body: { model, inputs: "hi" } })
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.headers.get("retry-after"), "1")
        const waitMs = Number(limited.headers.get("retry-after-ms"))
        assert.isTrue(waitMs > 0 && waitMs <= 1000)
        assert.strictEqual(limited.json.object, "error")
        assert.strictEqual(limited.json.type, "rate_limited")
        assert.strictEqual(limited.json.code, "1300")
        // not executed: no conversation was stored
        const listed = yield* call(emulator, "GET", "/v1/conversations")
        assert.strictEqual(listed.status, 429)
        assert.strictEqual(yield* limitedCount(emulator), 2)
        yield* Effect.sleep(waitMs + 20)
        const after = yield* call(emulator, "GET", "/v1/conversations")
        assert.strictEqual(after.status, 200)
        assert.deepStrictEqual(after.json, [])
        const log = yield* emulator.requests
        assert.deepStrictEqual(
          log.map((request) => request.status),
          [200, 200, 200, 429, 429, 200]
        )
      })
    )

    it.effect("each API key has its own budget", () =>
      Effect.gen(function* () {
        const emulator = yield* fresh
        for (let i = 0; i < 3; i++) yield* call(emulator, "GET", "/v1/models", { token: "key-a" })
        assert.strictEqual((yield* call(emulator, "GET", "/v1/models", { token: "key-a" })).status, 429)
        assert.strictEqual((yield* call(emulator, "GET", "/v1/models", { token: "key-b" })).status, 200)
      })
    )
  })

  layer(MistralEmulator.layer({ rateLimits: { tokensPerMinute: { [model]: 40 } } }), live)(
    "tokens per minute",
    (it) => {
      it.effect(
        "the tokens of answers (plain and streamed) count against the model's budget; other models are free",
        () =>
          Effect.gen(function* () {
            const emulator = yield* fresh
            let used = 0
            let status = 200
            // plain answers until the budget is reached
            while (status === 200 && used < 40) {
              const answer = yield* call(emulator, "POST", "/v1/chat/completions", { body: chat("count me") })
              status = answer.status
              if (status === 200) used += answer.json.usage.total_tokens
            }
            if (status === 200) {
              const refused = yield* call(emulator, "POST", "/v1/chat/completions", { body: chat("one more", true) })
              status = refused.status
              const retryAfter = Number(refused.headers.get("retry-after"))
              assert.isTrue(retryAfter >= 1 && retryAfter <= 60)
            }
            assert.strictEqual(status, 429)
            const log = yield* emulator.requests
            const charged = log.reduce((sum, request) => sum + (request.tokens ?? 0), 0)
            assert.strictEqual(charged, used)
            // another model has no limit
            const other = yield* call(emulator, "POST", "/v1/chat/completions", {
              body: { ...chat("hi"), model: "open-mistral-nemo" }
            })
            assert.strictEqual(other.status, 200)
          })
      )
    }
  )

  it.scopedLive("a stream's tokens are charged from the event that reports its usage", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.make({ rateLimits: { tokensPerMinute: { [model]: 10_000 } } })
      const streamed = yield* call(emulator, "POST", "/v1/chat/completions", { body: chat("stream", true) })
      assert.strictEqual(streamed.status, 200)
      const usage = /"total_tokens"\s*:\s*(\d+)/.exec(streamed.text)
      assert.isNotNull(usage)
      const log = yield* emulator.requests
      assert.strictEqual(log[0].tokens, Number(usage?.[1]))
    })
  )

  it.layer(
    MistralEmulator.layer({ rateLimits: { requestsPerSecond: 20, tokensPerMinute: { [model]: 20_000, "*": 5_000 } } })
  )("GET /v1/admin/rate-limit", (it) => {
    it.effect("reports the limits in force, decoded with the generated schema", () =>
      Effect.gen(function* () {
        const emulator = yield* fresh
        const answer = yield* call(emulator, "GET", "/v1/admin/rate-limit")
        assert.strictEqual(answer.status, 200)
        const limits = decodes(AdminBilling.RateLimitsOUT, answer.json)
        assert.strictEqual(limits.requests_per_second, 20)
        assert.strictEqual(limits.tokens_limits_by_model[model].tokens_per_minute, 20_000)
        assert.strictEqual(limits.tokens_limits_by_model["*"].tokens_per_minute, 5_000)
        assert.strictEqual((yield* emulator.requests)[0].operation, "users_api_admin_rate_limits_get_rate_limits")
      })
    )
  })

  it.layer(MistralEmulator.layer())("without limits", (it) => {
    it.effect("nothing is refused and the admin endpoint reports no limits", () =>
      Effect.gen(function* () {
        const emulator = yield* fresh
        for (let i = 0; i < 30; i++) assert.strictEqual((yield* call(emulator, "GET", "/v1/models")).status, 200)
        const answer = yield* call(emulator, "GET", "/v1/admin/rate-limit")
        assert.deepStrictEqual(answer.json, { requests_per_second: 0, tokens_limits_by_model: {} })
        assert.strictEqual(yield* limitedCount(emulator), 0)
      })
    )
  })
})
