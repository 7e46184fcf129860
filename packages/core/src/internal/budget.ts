/**
 * The budget stage: each attempt takes one request and its estimated tokens from the shared budget before it is
 * sent (waiting while the budget is spent), and settles the tokens against the answer's `usage` (a stream when it
 * ends). A failed attempt gives its tokens back (the server counted none); a 429 with `Retry-After` pauses the
 * budget for every worker sharing it.
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as MistralConfig from "../MistralConfig.js"
import type * as MistralError from "../MistralError.js"
import type * as MistralBudget from "../MistralBudget.js"
import * as Errors from "./errors.js"
import type { Prepared } from "./prepare.js"

/** The tokens an answer or an event reports it used, if it does. */
export const usageOf = (value: unknown): number | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const usage = (value as { readonly usage?: unknown }).usage
  if (typeof usage !== "object" || usage === null) return undefined
  const { total_tokens, prompt_tokens, completion_tokens } = usage as Record<string, unknown>
  if (typeof total_tokens === "number") return total_tokens
  return typeof prompt_tokens === "number" || typeof completion_tokens === "number"
    ? (typeof prompt_tokens === "number" ? prompt_tokens : 0) +
        (typeof completion_tokens === "number" ? completion_tokens : 0)
    : undefined
}

/** The encoded body's size, already at hand: a JSON body is bytes by now (a form counts for nothing). */
const sizeOf = (request: HttpClientRequest.HttpClientRequest): number =>
  request.body._tag === "Uint8Array" ? request.body.body.length : 0

const take = (
  budget: MistralBudget.Budget,
  prepared: Prepared,
  body: unknown,
  settings: MistralConfig.RateLimitSettings | undefined
) => {
  const context = prepared.context
  const estimate = budget.estimate(body, sizeOf(prepared.request))
  const request: MistralBudget.Take = {
    model: estimate.model,
    tokens: settings?.tokens ?? estimate.tokens,
    maxWait: settings?.maxWait
  }
  return Effect.map(
    Effect.mapError(budget.take(request), (exhausted) =>
      Errors.budgetExhausted(context, exhausted.budget, exhausted.wait)
    ),
    (taken) => ({ model: request.model, taken })
  )
}

const onFailure = (
  budget: MistralBudget.Budget,
  model: string | undefined,
  taken: number,
  error: MistralError.MistralError
) =>
  Effect.zipRight(
    budget.settle(model, taken, 0),
    error._tag === "RateLimited" && error.retryAfter !== undefined ? budget.pause(error.retryAfter) : Effect.void
  )

/** A plain call through the budget. */
export const effect = <A>(
  budget: MistralBudget.Budget,
  prepared: Prepared,
  body: unknown,
  settings: MistralConfig.RateLimitSettings | undefined,
  self: Effect.Effect<A, MistralError.MistralError>
): Effect.Effect<A, MistralError.MistralError> =>
  Effect.flatMap(take(budget, prepared, body, settings), ({ model, taken }) =>
    Effect.tapBoth(self, {
      onSuccess: (value) => budget.settle(model, taken, usageOf(value) ?? taken),
      onFailure: (error) => onFailure(budget, model, taken, error)
    })
  )

/** A stream through the budget: settled with the `usage` of its events when it ends. */
export const stream = <A>(
  budget: MistralBudget.Budget,
  prepared: Prepared,
  body: unknown,
  settings: MistralConfig.RateLimitSettings | undefined,
  self: Stream.Stream<A, MistralError.MistralError>
): Stream.Stream<A, MistralError.MistralError> =>
  Stream.unwrap(
    Effect.map(take(budget, prepared, body, settings), ({ model, taken }) => {
      let used: number | undefined
      let failed = false
      return self.pipe(
        Stream.mapChunks((chunk) => {
          for (const element of chunk) used = usageOf(element) ?? used
          return chunk
        }),
        Stream.tapError((error) => {
          failed = true
          return onFailure(budget, model, taken, error)
        }),
        Stream.ensuring(Effect.suspend(() => (failed ? Effect.void : budget.settle(model, taken, used ?? taken))))
      )
    })
  )
