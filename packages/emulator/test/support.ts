import { Effect, Either, Schema } from "effect"
import type { MistralEmulator } from "../src/index.js"

// biome-ignore lint/suspicious/noExplicitAny: answers are read freely in assertions
export type Json = any

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: Json
}

export interface CallOptions {
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** `null`: no Authorization header. */
  readonly token?: string | null
}

const init = (method: string, options: CallOptions): RequestInit => ({
  method,
  headers: {
    ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? "test-key"}` }),
    ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    ...options.headers
  },
  ...(options.body === undefined
    ? {}
    : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
  signal: AbortSignal.timeout(10_000)
})

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** One HTTP call to the emulator; fails when the transport fails. */
export const attempt = (
  emulator: MistralEmulator.Service,
  method: string,
  path: string,
  options: CallOptions = {}
): Effect.Effect<Either.Either<Answer, Error>> =>
  Effect.promise(async () => {
    try {
      const response = await fetch(`${emulator.url}${path}`, init(method, options))
      const text = await response.text()
      return Either.right({ status: response.status, headers: response.headers, text, json: parse(text) })
    } catch (error) {
      return Either.left(error as Error)
    }
  })

export const call = (emulator: MistralEmulator.Service, method: string, path: string, options: CallOptions = {}) =>
  Effect.flatMap(attempt(emulator, method, path, options), (either) =>
    Either.isRight(either) ? Effect.succeed(either.right) : Effect.die(either.left)
  )

export interface SseEvent {
  readonly event: string
  readonly data: Json
}

export const parseEvents = (text: string): Array<SseEvent> =>
  text
    .split("\n\n")
    .filter((frame) => frame.trim() !== "")
    .map((frame) => {
      const lines = frame.split("\n")
      const event = lines.find((line) => line.startsWith("event: "))?.slice(7) ?? ""
      const data = lines
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n")
      return { event, data: JSON.parse(data) }
    })

/** Reads a streamed answer frame by frame until it ends or breaks. */
export const readStream = (
  emulator: MistralEmulator.Service,
  path: string,
  options: CallOptions = {}
): Effect.Effect<{
  readonly status: number
  readonly contentType: string | null
  readonly text: string
  readonly error: Error | undefined
  readonly arrivals: ReadonlyArray<number>
}> =>
  Effect.promise(async () => {
    const response = await fetch(`${emulator.url}${path}`, init("POST", options))
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    const arrivals: Array<number> = []
    let text = ""
    let error: Error | undefined
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        arrivals.push(performance.now())
        text += decoder.decode(value, { stream: true })
      }
    } catch (cause) {
      error = cause as Error
    }
    return { status: response.status, contentType: response.headers.get("content-type"), text, error, arrivals }
  })

/** Folds stream events into the output entries they describe. */
export const foldOutputs = (events: ReadonlyArray<SseEvent>) => {
  const outputs = new Map<string, Record<string, unknown>>()
  for (const { data } of events) {
    if (data.type === "message.output.delta") {
      const current = outputs.get(data.id)
      outputs.set(data.id, {
        type: "message.output",
        id: data.id,
        content: `${(current?.content as string | undefined) ?? ""}${data.content}`
      })
    } else if (data.type === "function.call.delta") {
      const current = outputs.get(data.id)
      outputs.set(data.id, {
        type: "function.call",
        id: data.id,
        name: data.name,
        tool_call_id: data.tool_call_id,
        arguments: `${(current?.arguments as string | undefined) ?? ""}${data.arguments}`
      })
    }
  }
  return [...outputs.values()]
}

/** Decodes with a generated schema and refuses the tolerant unions' unknown members. */
export const decodes = <A, I>(schema: Schema.Schema<A, I>, value: unknown): A => {
  const decoded = Schema.decodeUnknownSync(schema as Schema.Schema<A, I, never>)(value)
  const text = JSON.stringify(decoded)
  if (text.includes('"$unknown"')) throw new Error(`decoded to an unknown member: ${text}`)
  return decoded
}

export const weather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}
