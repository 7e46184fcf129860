import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Redacted, Stream } from "effect"
import * as MistralClient from "../src/MistralClient.js"
import { fakeHttp, streamItems } from "./fixtures/fakeHttp.js"

// The SSE spec allows CR, LF and CRLF line endings; a body may end right after its last event's blank line.
const endings = { LF: "\n", CR: "\r", CRLF: "\r\n" } as const

const frames = (eol: string) => `data: {"type":"a"}${eol}${eol}: keep-alive${eol}${eol}data: {"type":"b"}${eol}${eol}`

/** A body sent in the given pieces (so a line ending can be split across reads). */
const bodyOf = (pieces: ReadonlyArray<string>) => {
  const encoder = new TextEncoder()
  let index = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < pieces.length) controller.enqueue(encoder.encode(pieces[index++]))
      else controller.close()
    }
  })
}

const streamOf = (pieces: ReadonlyArray<string>) => {
  const fake = fakeHttp([{ headers: { "content-type": "text/event-stream" }, body: bodyOf(pieces) }])
  const client = MistralClient.makeWith(fake.client, {
    apiKey: Redacted.make("sk-test"),
    baseUrl: "http://mistral.test",
    retryPolicy: false
  })
  return Stream.either(client.stream(streamItems, { body: { name: "x" } }))
}

describe("SSE line endings", () => {
  for (const [name, eol] of Object.entries(endings)) {
    it.effect(`${name}: a body that ends exactly after its last event keeps every event`, () =>
      Effect.gen(function* () {
        const text = frames(eol)
        // whole, one character per read, and the last line ending in a read of its own
        for (const pieces of [[text], text.split(""), [text.slice(0, -1), text.slice(-1)]]) {
          const results = Chunk.toArray(yield* Stream.runCollect(streamOf(pieces)))
          expect(results).toEqual([Either.right({ type: "a" }), Either.right({ type: "b" })])
        }
      })
    )

    it.effect(`${name}: a body that ends inside an event is StreamBroken after the events before it`, () =>
      Effect.gen(function* () {
        const text = `${frames(eol)}data: {"type":"c"}${eol}`
        for (const pieces of [[text], text.split("")]) {
          const results = Chunk.toArray(yield* Stream.runCollect(streamOf(pieces)))
          expect(results.slice(0, 2)).toEqual([Either.right({ type: "a" }), Either.right({ type: "b" })])
          expect(results).toHaveLength(3)
          const last = results[2]
          expect(Either.isLeft(last) && last.left._tag).toBe("StreamBroken")
          if (Either.isLeft(last) && last.left._tag === "StreamBroken") expect(last.left.eventsReceived).toBe(2)
        }
      })
    )
  }
})
