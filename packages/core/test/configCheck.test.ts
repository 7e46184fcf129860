import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as MistralClient from "../src/MistralClient.js"
import * as MistralConfig from "../src/MistralConfig.js"
import * as MistralError from "../src/MistralError.js"
import * as MistralServices from "../src/MistralServices.js"
import * as MistralTransport from "../src/MistralTransport.js"
import { fakeHttp, getItem } from "./fixtures/fakeHttp.js"

/** A client over a recording fake, its options from a map standing for the environment. */
const fromEnv = (env: Record<string, string>) => {
  const fake = fakeHttp([{ status: 200, body: "{}" }])
  const layer = MistralClient.layerConfig().pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client)),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
  )
  return { layer, recorded: fake.recorded }
}

const fromOptions = (options: MistralClient.Options) => {
  const fake = fakeHttp([{ status: 200, body: "{}" }])
  return {
    layer: MistralClient.layer(options).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))),
    recorded: fake.recorded
  }
}

const buildError = <E>(layer: Layer.Layer<MistralClient.MistralClient, E>) =>
  Effect.flip(Effect.provide(MistralClient.MistralClient, layer))

describe("options checked when the layer is built", () => {
  it.effect("a blank MISTRAL_API_KEY fails layerConfig with a ConfigurationError naming the variable", () =>
    Effect.gen(function* () {
      const { layer, recorded } = fromEnv({ MISTRAL_API_KEY: "   " })
      const error = yield* buildError(layer)
      expect(error._tag).toBe("ConfigurationError")
      if (error._tag !== "ConfigurationError") return
      expect(error.option).toBe("apiKey")
      expect(error.variable).toBe("MISTRAL_API_KEY")
      expect(error.message).toContain("MISTRAL_API_KEY (option apiKey) is blank")
      expect(error.message).toContain("console.mistral.ai")
      expect(recorded).toHaveLength(0)
    })
  )

  it.effect("a missing MISTRAL_API_KEY says what to do", () =>
    Effect.gen(function* () {
      const { layer, recorded } = fromEnv({})
      const error = yield* buildError(layer)
      expect(error._tag).toBe("ConfigurationError")
      expect(error.message).toContain("MISTRAL_API_KEY (option apiKey) is missing")
      expect(error.message).toContain("Set MISTRAL_API_KEY")
      expect(recorded).toHaveLength(0)
    })
  )

  it.effect("MISTRAL_BASE_URL=not-a-url fails at once, not as four retried transport failures", () =>
    Effect.gen(function* () {
      const { layer, recorded } = fromEnv({ MISTRAL_API_KEY: "k", MISTRAL_BASE_URL: "not-a-url" })
      const error = yield* buildError(layer)
      expect(error._tag).toBe("ConfigurationError")
      if (error._tag !== "ConfigurationError") return
      expect(error.option).toBe("baseUrl")
      expect(error.message).toContain('MISTRAL_BASE_URL (option baseUrl) is "not-a-url", not an absolute URL')
      expect(error.message).toContain("https://api.mistral.ai")
      expect(recorded).toHaveLength(0)
    })
  )

  it.effect("a base URL of another scheme is refused", () =>
    Effect.gen(function* () {
      const { layer } = fromEnv({ MISTRAL_API_KEY: "k", MISTRAL_BASE_URL: "ftp://example.com" })
      const error = yield* buildError(layer)
      expect(error.message).toContain("ftp: is not http: or https:")
    })
  )

  it.effect("layer(options): a blank key and a malformed URL name the option", () =>
    Effect.gen(function* () {
      const blank = yield* buildError(fromOptions({ apiKey: Redacted.make("") }).layer)
      expect(blank.message).toContain("option apiKey is blank")
      expect(blank.variable).toBeUndefined()
      const url = fromOptions({ apiKey: Redacted.make("k"), baseUrl: "localhost:8080" })
      const error = yield* buildError(url.layer)
      expect(error.message).toContain("option baseUrl is")
      expect(url.recorded).toHaveLength(0)
    })
  )

  it.effect("layer(options) without a key is allowed (a server that needs none)", () =>
    Effect.gen(function* () {
      const { layer } = fromOptions({ baseUrl: "http://127.0.0.1:1" })
      const client = yield* Effect.provide(MistralClient.MistralClient, layer)
      expect(client.baseUrl).toBe("http://127.0.0.1:1")
    })
  )

  it.effect("the transport layers and the services layers check too", () =>
    Effect.gen(function* () {
      let sent = 0
      const transport = Layer.succeed(MistralTransport.MistralTransport, {
        send: () => {
          sent++
          return Effect.die("never sent")
        }
      } as unknown as MistralTransport.Transport)
      const error = yield* Effect.flip(
        Effect.provide(
          MistralClient.MistralClient,
          MistralServices.layerTransport({ baseUrl: "::" }).pipe(Layer.provide(transport))
        )
      )
      expect(error._tag).toBe("ConfigurationError")
      const fromConfig = yield* Effect.flip(
        Effect.provide(
          MistralClient.MistralClient,
          MistralServices.layerTransportConfig().pipe(
            Layer.provide(transport),
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["MISTRAL_API_KEY", ""]]))))
          )
        )
      )
      expect(fromConfig.message).toContain("MISTRAL_API_KEY")
      expect(sent).toBe(0)
    })
  )

  it.effect("a good environment still builds, and defaultConfig alone still requires the key", () =>
    Effect.gen(function* () {
      const { layer } = fromEnv({ MISTRAL_API_KEY: "k", MISTRAL_BASE_URL: "http://127.0.0.1:8080/" })
      const client = yield* Effect.provide(MistralClient.MistralClient, layer)
      expect(client.baseUrl).toBe("http://127.0.0.1:8080")
      const missing = yield* Effect.flip(
        Effect.withConfigProvider(MistralConfig.defaultConfig, ConfigProvider.fromMap(new Map()))
      )
      expect(String(missing)).toContain("MISTRAL_API_KEY")
    })
  )
})

describe("a client built without the layer's check", () => {
  it.effect("makeWith over a malformed base URL fails each call at once as a RequestEncodeError, never retried", () =>
    Effect.gen(function* () {
      const fake = fakeHttp([{ status: 200, body: "{}" }])
      const client = MistralClient.makeWith(fake.client, { apiKey: Redacted.make("k"), baseUrl: "not-a-url" })
      const error = yield* Effect.flip(client.call(getItem, { path: { item_id: "a" } }))
      expect(error._tag).toBe("RequestEncodeError")
      expect(MistralError.isRetryable(error)).toBe(false)
      expect(error.message).toContain("baseUrl")
      expect(fake.recorded).toHaveLength(0)
    })
  )
})
