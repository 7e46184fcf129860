import * as Chat from "@effect-mistral/core/Chat"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as MistralNode from "../src/MistralNode.js"

const withEnv = (env: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("MistralNode checks its options when the layer is built", () => {
  it.effect("MISTRAL_BASE_URL=not-a-url fails layerConfig at once, with no retried transport failure", () =>
    Effect.gen(function* () {
      const started = Date.now()
      const layer = MistralNode.layerConfig().pipe(
        Layer.provide(withEnv({ MISTRAL_API_KEY: "k", MISTRAL_BASE_URL: "not-a-url" }))
      )
      const error = yield* Effect.flip(Effect.provide(Chat.complete({ model: "m", messages: [] }), layer))
      expect(error._tag).toBe("ConfigurationError")
      expect(error.message).toContain("MISTRAL_BASE_URL")
      expect(Date.now() - started).toBeLessThan(2000)
    })
  )

  it.effect("a blank key fails layer(options)", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(Chat.complete({ model: "m", messages: [] }), MistralNode.layer({ apiKey: Redacted.make(" ") }))
      )
      expect(error._tag).toBe("ConfigurationError")
      expect(error.message).toContain("option apiKey is blank")
    })
  )
})
