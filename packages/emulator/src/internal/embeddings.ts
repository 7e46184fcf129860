/**
 * Deterministic embeddings and classifier scores. An embedding is the sum of
 * one pseudo-random vector per word (a hash of the lower-cased word seeds
 * it) and a smaller one for the whole text, normalised to length 1: the same
 * text always gives the same vector, and texts that share words are closer
 * than texts that do not.
 */
import { createHash } from "node:crypto"
import { countWords } from "./replies.js"
import type { ValidationDetail } from "./validation.js"

type Body = Record<string, unknown>

/** The documented default sizes: 1024 for `mistral-embed`, 1536 for `codestral-embed`. */
export const defaultDimension = (model: string): number => (model.startsWith("codestral-embed") ? 1536 : 1024)

const seedOf = (text: string): number => createHash("sha256").update(text).digest().readUInt32LE(0) || 1

/** Adds `weight` times a pseudo-random vector (xorshift32 from `seed`, values in [-1, 1)) to `vector`. */
const addNoise = (vector: Float64Array, seed: number, weight: number) => {
  let x = seed >>> 0
  for (let i = 0; i < vector.length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    vector[i] += weight * (x / 0x80000000 - 1)
  }
}

/** A unit vector of `dimension` numbers for `text`. */
export const embed = (text: string, dimension: number): Array<number> => {
  const vector = new Float64Array(dimension)
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []) addNoise(vector, seedOf(`word:${word}`), 1)
  addNoise(vector, seedOf(`text:${text}`), 0.25)
  let norm = 0
  for (const value of vector) norm += value * value
  norm = Math.sqrt(norm)
  return Array.from(vector, (value) => value / norm)
}

/** The vector in the requested `output_dtype`: integers for the quantised types, packed sign bits for binary. */
const quantised = (vector: ReadonlyArray<number>, dtype: unknown): Array<number> => {
  switch (dtype) {
    case "int8":
      return vector.map((value) => Math.round(value * 127))
    case "uint8":
      return vector.map((value) => Math.round(value * 127) + 128)
    case "binary":
    case "ubinary": {
      const bytes: Array<number> = []
      for (let i = 0; i < vector.length; i += 8) {
        let byte = 0
        for (let bit = 0; bit < 8; bit++) byte = (byte << 1) | ((vector[i + bit] ?? 0) > 0 ? 1 : 0)
        bytes.push(dtype === "binary" ? byte - 128 : byte)
      }
      return bytes
    }
    default:
      return [...vector]
  }
}

/** Checks what the schema cannot: sizes and the encodings the emulator answers. */
export const checkEmbeddingOptions = (body: Body): Array<ValidationDetail> => {
  const detail: Array<ValidationDetail> = []
  const inputs = typeof body.input === "string" ? [body.input] : (body.input as ReadonlyArray<string>)
  if (inputs.length === 0) {
    detail.push({
      loc: ["body", "input"],
      msg: "List should have at least 1 item after validation, not 0",
      type: "too_short"
    })
  }
  const dimension = body.output_dimension
  if (dimension !== undefined && dimension !== null) {
    if (typeof dimension !== "number" || !Number.isInteger(dimension) || dimension < 1 || dimension > 4096) {
      detail.push({
        loc: ["body", "output_dimension"],
        msg: "Input should be an integer between 1 and 4096",
        type: "value_error"
      })
    }
  }
  if (body.encoding_format === "base64") {
    detail.push({
      loc: ["body", "encoding_format"],
      msg: "The Mistral emulator answers embeddings as float arrays only",
      type: "value_error"
    })
  }
  return detail
}

/** An `EmbeddingResponse` for a checked request body. */
export const embeddings = (body: Body, id: string): Record<string, unknown> => {
  const model = String(body.model)
  const inputs = typeof body.input === "string" ? [body.input] : (body.input as ReadonlyArray<string>)
  const dimension = typeof body.output_dimension === "number" ? body.output_dimension : defaultDimension(model)
  const tokens = inputs.reduce((sum, input) => sum + Math.max(1, countWords(input)), 0)
  return {
    id,
    object: "list",
    model,
    data: inputs.map((input, index) => ({
      object: "embedding",
      embedding: quantised(embed(input, dimension), body.output_dtype),
      index
    })),
    usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens }
  }
}

const moderationCategories: ReadonlyArray<readonly [string, RegExp]> = [
  ["sexual", /\b(sex|sexual|nude|porn)/i],
  ["hate_and_discrimination", /\b(hate|racis|discriminat)/i],
  ["violence_and_threats", /\b(kill|violen|attack|threat|murder)/i],
  ["dangerous_and_criminal_content", /\b(bomb|weapon|drugs?|steal|crime|criminal)\b/i],
  ["selfharm", /\b(suicide|self-?harm)/i],
  ["health", /\b(diagnos|medic|symptom|disease)/i],
  ["financial", /\b(invest|stocks?|loan|bank)/i],
  ["law", /\b(lawyer|legal|lawsuit|court)/i],
  ["pii", /(\b(password|passport|ssn)\b|[\w.+-]+@[\w-]+\.[\w.]+)/i]
]

/** A small score in [0, 0.05) that depends only on the category and the text. */
const background = (category: string, text: string) => (seedOf(`${category}:${text}`) % 5000) / 100_000

/** A `ModerationObject`: a category is flagged (score ≥ 0.9) when the text uses one of its keywords. */
export const moderate = (text: string): Record<string, unknown> => {
  const categories: Record<string, boolean> = {}
  const scores: Record<string, number> = {}
  for (const [category, pattern] of moderationCategories) {
    const flagged = pattern.test(text)
    categories[category] = flagged
    scores[category] = flagged ? 0.9 + background(category, text) : background(category, text)
  }
  return { categories, category_scores: scores }
}

const positive = /\b(good|great|love|excellent|happy|nice|thanks?|wonderful)\b/gi
const negative = /\b(bad|terrible|hate|awful|sad|angry|poor|horrible)\b/gi

/** A classification result: the `sentiment` target, scored by counting positive and negative words. */
export const classify = (text: string): Record<string, unknown> => {
  const plus = 1 + 2 * (text.match(positive)?.length ?? 0)
  const minus = 1 + 2 * (text.match(negative)?.length ?? 0)
  const neutral = 1.5
  const total = plus + minus + neutral
  const round = (value: number) => Math.round((value / total) * 10_000) / 10_000
  return { sentiment: { scores: { positive: round(plus), negative: round(minus), neutral: round(neutral) } } }
}
