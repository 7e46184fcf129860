import { describe, expect, it } from "@effect/vitest"
import { createParser } from "eventsource-parser"
import { SseFramer } from "../src/internal/sse.js"

// A small deterministic generator (mulberry32), so a failure names a seed that reproduces it.
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const pick = <A>(next: () => number, items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)] as A

/** A body of lines of every kind, with mixed line endings. */
const body = (next: () => number): string => {
  const values = [
    "",
    " ",
    "x",
    ' {"type":"a","content":"héllo 🌍"}',
    ":colon:inside",
    "  two spaces",
    "[DONE]",
    "\u0000id"
  ]
  const lines = [
    () => `data:${pick(next, values)}`,
    () => `data${pick(next, ["", ":"])}`,
    () => `event:${pick(next, values)}`,
    () => `event`,
    () => `id:${pick(next, values)}`,
    () => `retry: 100`,
    () => `: comment${pick(next, values)}`,
    () => ":",
    () => `database: not data`,
    () => `eventual: not event`,
    () => `unknown${pick(next, values)}`,
    () => ""
  ]
  let text = next() < 0.2 ? "\uFEFF" : ""
  const count = 1 + Math.floor(next() * 40)
  for (let i = 0; i < count; i++) text += pick(next, lines)() + pick(next, ["\n", "\n", "\r\n", "\r"])
  return text
}

/** `text` cut into pieces at random places. */
const pieces = (next: () => number, text: string): Array<string> => {
  const out: Array<string> = []
  let start = 0
  while (start < text.length) {
    const size = next() < 0.3 ? 1 : 1 + Math.floor(next() * 12)
    out.push(text.slice(start, start + size))
    start += size
  }
  return out
}

interface Seen {
  readonly data: string
  readonly event: string | undefined
}

const withFramer = (input: ReadonlyArray<string>, maxSize = 1 << 20) => {
  const events: Array<Seen> = []
  let oversized = false
  const framer = new SseFramer(
    (data, event) => events.push({ data, event }),
    maxSize,
    () => {
      oversized = true
    }
  )
  // a body's text comes from TextDecoder, which drops a leading BOM
  for (const [i, piece] of input.entries()) framer.feed(i === 0 ? piece.replace(/^\uFEFF/, "") : piece)
  // the end of the body, as the event decoder writes it (a bare CR there is a whole line end)
  framer.feed("\n")
  framer.feed("\n\n")
  return { events, oversized }
}

const withReference = (input: ReadonlyArray<string>, maxSize = 1 << 20) => {
  const events: Array<Seen> = []
  let oversized = false
  const parser = createParser({
    onEvent: (message) => events.push({ data: message.data, event: message.event }),
    maxBufferSize: maxSize,
    onError: () => {
      oversized = true
    }
  })
  const text = input.join("").replace(/^\uFEFF/, "")
  try {
    parser.feed(text)
    parser.feed(text.endsWith("\r") ? "\n\n\n" : "\n\n")
  } catch {
    // refuses input after an oversized event
  }
  return { events, oversized }
}

describe("SseFramer", () => {
  it("frames random bodies, cut anywhere, as eventsource-parser does whole", () => {
    for (let seed = 1; seed <= 400; seed++) {
      const next = random(seed)
      const text = body(next)
      const expected = withReference([text])
      for (const input of [[text], pieces(next, text), text.split("")]) {
        const seen = withFramer(input)
        expect({ seed, events: seen.events }).toEqual({ seed, events: expected.events })
      }
    }
  })

  it("a CRLF split across two reads is one line end; a lone CR is one too", () => {
    expect(withFramer(["data: a\r", "\ndata: b\r", "\r"]).events).toEqual([{ data: "a\nb", event: undefined }])
    expect(withFramer(["data: a\r\r", "\n"]).events).toEqual([{ data: "a", event: undefined }])
  })

  it("keeps a line cut across many reads whole, and its value is the text after one space", () => {
    expect(withFramer(["da", "ta", ":  x", "y", "z\n", "event: e\n\n"]).events).toEqual([{ data: " xyz", event: "e" }])
  })

  it("tells once when unterminated text and data pass the size limit, and ignores the rest", () => {
    const seen = withFramer(["data: ", "x".repeat(50), "\ndata: y\n\n"], 40)
    expect(seen.oversized).toBe(true)
    expect(seen.events).toEqual([])
    const fits = withFramer(["data: ", "x".repeat(30), "\n\n"], 40)
    expect(fits.oversized).toBe(false)
    expect(fits.events).toEqual([{ data: "x".repeat(30), event: undefined }])
  })
})
