import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { VERSION } from "../src/internal/version.js"
import * as MistralClient from "../src/MistralClient.js"
import { fakeHttp, getItem } from "./fixtures/fakeHttp.js"
import * as HttpClient from "@effect/platform/HttpClient"

const fromEnv = (env: Record<string, string>) => {
  const fake = fakeHttp([{ status: 200, body: JSON.stringify({ id: "1" }) }])
  const layer = MistralClient.layerConfig().pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client)),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
  )
  return { layer, recorded: fake.recorded }
}

describe("configuration", () => {
  it.effect("layerConfig reads MISTRAL_API_KEY and MISTRAL_BASE_URL", () =>
    Effect.gen(function* () {
      const { layer, recorded } = fromEnv({ MISTRAL_API_KEY: "sk-env", MISTRAL_BASE_URL: "http://env.test:8080/" })
      const client = yield* Effect.provide(MistralClient.MistralClient, layer)
      expect(client.baseUrl).toBe("http://env.test:8080")
      yield* Effect.provide(MistralClient.call(getItem, { path: { item_id: "a" } }), layer)
      expect(recorded[0].url.href).toBe("http://env.test:8080/v1/items/a")
      expect(recorded[0].headers.authorization).toBe("Bearer sk-env")
    })
  )

  it.effect("the us server preset", () =>
    Effect.gen(function* () {
      const { layer } = fromEnv({ MISTRAL_API_KEY: "k", MISTRAL_SERVER: "us" })
      const client = yield* Effect.provide(MistralClient.MistralClient, layer)
      expect(client.baseUrl).toBe(MistralClient.servers.us)
    })
  )

  it.effect("a missing MISTRAL_API_KEY is a ConfigError naming it, not a request without a key", () =>
    Effect.gen(function* () {
      const { layer, recorded } = fromEnv({})
      const error = yield* Effect.flip(Effect.provide(MistralClient.MistralClient, layer))
      expect(String(error)).toContain("MISTRAL_API_KEY")
      expect(recorded).toHaveLength(0)
    })
  )

  it("the User-Agent version follows package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    expect(VERSION).toBe(pkg.version)
  })
})
