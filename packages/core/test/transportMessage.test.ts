import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as MistralClient from "../src/MistralClient.js"
import { getItem } from "./fixtures/fakeHttp.js"

it.effect("a transport error says Transport once", () =>
  Effect.gen(function* () {
    const client = MistralClient.makeWith(
      HttpClient.make((request) =>
        Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("connect ECONNREFUSED") })
        )
      ),
      { baseUrl: "http://127.0.0.1:1", retryPolicy: false }
    )
    const error = yield* Effect.flip(client.call(getItem, { path: { item_id: "a" } }))
    expect(error._tag).toBe("TransportError")
    expect(error.message).toContain("Transport failure: connect ECONNREFUSED")
    expect(error.message.match(/Transport/g)).toHaveLength(1)
  })
)
