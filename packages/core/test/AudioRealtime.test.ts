import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Effect, Exit, Option, Redacted, Stream, Tracer } from "effect"
import * as AudioRealtime from "../src/AudioRealtime.js"
import * as MistralClient from "../src/MistralClient.js"
import type * as MistralWebSocket from "../src/MistralWebSocket.js"

const KEY = "sk-unit-secret"
const format = { encoding: "pcm_s16le", sample_rate: 16_000 } as const

type Message = { readonly type: string; readonly [key: string]: unknown }

/**
 * A WebSocket in memory: it opens at once, records what the client sends and answers through `script`, which can
 * reply (a JSON value or raw text) or close the socket.
 */
class FakeWebSocket extends EventTarget {
  readyState = 0
  bufferedAmount = 0
  binaryType = "arraybuffer"
  readonly sent: Array<Message> = []
  constructor(
    readonly url: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly script: (message: Message | "open", socket: FakeWebSocket) => void
  ) {
    super()
    setTimeout(() => {
      this.readyState = 1
      this.dispatchEvent(new Event("open"))
      this.script("open", this)
    }, 0)
  }
  send(data: string) {
    const message = JSON.parse(data) as Message
    this.sent.push(message)
    this.script(message, this)
  }
  reply(message: unknown) {
    const data = typeof message === "string" ? message : JSON.stringify(message)
    setTimeout(() => this.dispatchEvent(new MessageEvent("message", { data })), 0)
  }
  close(code = 1000, reason = "") {
    if (this.readyState === 3) return
    this.readyState = 3
    setTimeout(() => this.dispatchEvent(Object.assign(new Event("close"), { code, reason, wasClean: true })), 0)
  }
}

const session = { request_id: "req-1", model: "voxtral", audio_format: format, target_streaming_delay_ms: 480 }

/** The protocol's happy path: created, updated, one delta per append, done after the end. */
const happy = (message: Message | "open", socket: FakeWebSocket) => {
  if (message === "open") return socket.reply({ type: "session.created", session })
  switch (message.type) {
    case "session.update":
      return socket.reply({ type: "session.updated", session: { ...session, ...(message.session as object) } })
    case "input_audio.append":
      return socket.reply({ type: "transcription.text.delta", text: `<${message.audio}>` })
    case "input_audio.end":
      return socket.reply({
        type: "transcription.done",
        model: "voxtral",
        text: "all",
        language: "en",
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
      })
  }
}

const fake = (script: typeof happy) => {
  const sockets: Array<FakeWebSocket> = []
  const service: MistralWebSocket.Service = {
    open: (url, options) => {
      const socket = new FakeWebSocket(url, options.headers, script)
      sockets.push(socket)
      return { socket: socket as unknown as globalThis.WebSocket, refusal: () => undefined }
    }
  }
  const realtime = AudioRealtime.fromWebSocket(service, {
    apiKey: Redacted.make(KEY),
    baseUrl: "https://api.test/",
    headers: { "X-Team": "audio" }
  })
  return { sockets, realtime }
}

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

describe("AudioRealtime", () => {
  it.effect("connects with the key and headers, updates the session, splits the audio, flushes and ends", () =>
    Effect.gen(function* () {
      const { sockets, realtime } = fake(happy)
      const events = yield* realtime
        .transcribe(
          { model: "voxtral mini", audioFormat: format, targetStreamingDelayMs: 240, appendBytes: 3 },
          Stream.make(new Uint8Array([1, 2, 3, 4, 5, 6, 7]), new Uint8Array(0), new Uint8Array([8]))
        )
        .pipe(MistralClient.withHeaders({ "X-Call": "one" }), Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      const [socket] = sockets
      expect(socket.url).toBe("wss://api.test/v1/audio/transcriptions/realtime?model=voxtral%20mini")
      expect(socket.headers).toMatchObject({
        authorization: `Bearer ${KEY}`,
        "x-team": "audio",
        "x-call": "one",
        "user-agent": expect.stringMatching(/^effect-mistral\//)
      })
      expect(socket.sent).toEqual([
        { type: "session.update", session: { audio_format: format, target_streaming_delay_ms: 240 } },
        { type: "input_audio.append", audio: "AQID" },
        { type: "input_audio.append", audio: "BAUG" },
        { type: "input_audio.append", audio: "Bw==" },
        { type: "input_audio.append", audio: "CA==" },
        { type: "input_audio.flush" },
        { type: "input_audio.end" }
      ])
      expect(events.map((event) => event.type)).toEqual([
        "session.created",
        "session.updated",
        "transcription.text.delta",
        "transcription.text.delta",
        "transcription.text.delta",
        "transcription.text.delta",
        "transcription.done"
      ])
      const transcript = yield* AudioRealtime.collect(Stream.fromIterable(events))
      expect(transcript).toMatchObject({ text: "all", language: "en", session: { request_id: "req-1" } })
      expect(yield* Stream.runCollect(AudioRealtime.textDeltas(Stream.fromIterable(events)))).toEqual(
        Chunk.make("<AQID>", "<BAUG>", "<Bw==>", "<CA==>")
      )
      // the stream ended at transcription.done and closed the socket
      expect(socket.readyState).toBe(3)
    })
  )

  it.effect("a session is one client span named after the operation when a tracer is installed", () =>
    Effect.gen(function* () {
      const { realtime } = fake(happy)
      const native = yield* Effect.tracer
      const spans: Array<{ readonly name: string; readonly span: Tracer.Span }> = []
      const tracer = Tracer.make({
        span: (name, parent, context, links, startTime, kind, options) => {
          const span = native.span(name, parent, context, links, startTime, kind, options)
          spans.push({ name, span })
          return span
        },
        context: native.context
      })
      yield* realtime
        .transcribe({ model: "voxtral", audioFormat: format }, Stream.make(new Uint8Array(2)))
        .pipe(Stream.runDrain, Effect.withTracer(tracer))
      expect(spans.map(({ name }) => name)).toEqual(["Mistral.audio_transcriptions_realtime"])
      expect(spans[0].span.attributes.get("gen_ai.request.model")).toBe("voxtral")
    })
  )

  it.effect("a known type whose body does not match is a ResponseDecodeError with the raw message", () =>
    Effect.gen(function* () {
      const { realtime } = fake((message, socket) =>
        message !== "open" && message.type === "input_audio.append"
          ? socket.reply({ type: "transcription.text.delta", text: 42 })
          : happy(message, socket)
      )
      const error = failure(
        yield* realtime
          .transcribe({ model: "m", audioFormat: format }, Stream.make(new Uint8Array(4)))
          .pipe(Stream.runDrain, Effect.exit)
      )
      expect(error._tag).toBe("ResponseDecodeError")
      if (error._tag !== "ResponseDecodeError") return
      expect(error.body).toBe('{"type":"transcription.text.delta","text":42}')
      expect(error.issue).toContain("text")
      expect(error.requestId).toBe("req-1")
    })
  )

  it.effect("a message that is not JSON is a ResponseDecodeError", () =>
    Effect.gen(function* () {
      const { realtime } = fake((message, socket) =>
        message !== "open" && message.type === "session.update" ? socket.reply("not json {") : happy(message, socket)
      )
      const error = failure(
        yield* realtime.transcribe({ model: "m", audioFormat: format }, Stream.empty).pipe(Stream.runDrain, Effect.exit)
      )
      expect(error._tag).toBe("ResponseDecodeError")
    })
  )

  it.effect("an error message is a StreamEventError with its code, and never shows the key", () =>
    Effect.gen(function* () {
      const { realtime } = fake((message, socket) =>
        message !== "open" && message.type === "input_audio.append"
          ? socket.reply({ type: "error", error: { message: `bad audio for key ${KEY}`, code: "invalid_audio" } })
          : happy(message, socket)
      )
      const error = failure(
        yield* realtime
          .transcribe({ model: "m", audioFormat: format }, Stream.make(new Uint8Array(4)))
          .pipe(Stream.runDrain, Effect.exit)
      )
      expect(error._tag).toBe("StreamEventError")
      if (error._tag !== "StreamEventError") return
      expect(error.code).toBe("invalid_audio")
      expect(error.detail).toBe("bad audio for key <redacted>")
      expect(error.eventsReceived).toBe(2)
      expect(JSON.stringify(error)).not.toContain(KEY)
    })
  )

  it.effect("a structured error message is kept as JSON text", () =>
    Effect.gen(function* () {
      const { realtime } = fake((message, socket) =>
        message !== "open" && message.type === "session.update"
          ? socket.reply({ type: "error", error: { message: { reason: "format" }, code: 1002 } })
          : happy(message, socket)
      )
      const error = failure(
        yield* realtime.transcribe({ model: "m", audioFormat: format }, Stream.empty).pipe(Stream.runDrain, Effect.exit)
      )
      expect(error).toMatchObject({ _tag: "StreamEventError", code: 1002, detail: '{"reason":"format"}' })
    })
  )

  it.effect("a clean close before transcription.done is StreamBroken", () =>
    Effect.gen(function* () {
      const { realtime } = fake((message, socket) =>
        message !== "open" && message.type === "input_audio.end" ? socket.close(1000, "bye") : happy(message, socket)
      )
      const error = failure(
        yield* realtime
          .transcribe({ model: "m", audioFormat: format }, Stream.make(new Uint8Array(2)))
          .pipe(Stream.runDrain, Effect.exit)
      )
      expect(error._tag).toBe("StreamBroken")
      if (error._tag !== "StreamBroken") return
      expect(error.detail).toBe("the socket closed with code 1000 (bye)")
      expect(error.eventsReceived).toBe(3)
      expect(error.status).toBe(101)
    })
  )

  it.effect("a failure of the audio stream ends the session with that failure and closes the socket", () =>
    Effect.gen(function* () {
      const { sockets, realtime } = fake(happy)
      const exit = yield* realtime
        .transcribe(
          { model: "m", audioFormat: format },
          Stream.concat(Stream.make(new Uint8Array(2)), Stream.fail("mic unplugged"))
        )
        .pipe(Stream.runDrain, Effect.exit)
      expect(failure(exit)).toBe("mic unplugged")
      expect(sockets[0].sent.map((message) => message.type)).toEqual(["session.update", "input_audio.append"])
      expect(sockets[0].readyState).toBe(3)
    })
  )
})
