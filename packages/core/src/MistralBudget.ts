/**
 * The shared budget as the client sees it: a service it takes from before each attempt, settles after, and pauses on
 * a 429. `MistralRateLimit` builds one on `@effect/experimental`'s `RateLimiter`; this module has no dependency on
 * it, so a client without a budget never loads it.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"

/**
 * What one request takes from the budget.
 *
 * @since 0.2.0
 * @category models
 */
export interface Take {
  /** The model its tokens count against, when it names one. */
  readonly model?: string | undefined
  /** The estimated tokens (prompt and completion). */
  readonly tokens: number
  /** Overrides `Options.maxWait` for this request. */
  readonly maxWait?: Duration.Duration | undefined
}

/**
 * Why a request may not wait for the budget.
 *
 * @since 0.2.0
 * @category models
 */
export interface Exhausted {
  readonly budget: "requests" | "tokens"
  readonly wait: Duration.Duration
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Budget {
  /** The estimate for a request body (as the caller gave it) whose encoded size is `size` bytes. */
  readonly estimate: (body: unknown, size: number) => Take
  /**
   * Takes a request and its tokens, waiting while the budget is spent; `Exhausted` when the wait would be longer
   * than the longest allowed. Answers the tokens taken, to settle later.
   */
  readonly take: (take: Take) => Effect.Effect<number, Exhausted>
  /** Settles a request's taken tokens against what it used: more is charged, less is given back. */
  readonly settle: (model: string | undefined, taken: number, used: number) => Effect.Effect<void>
  /** The server said 429 with `Retry-After`: the shared request budget pauses that long, for every worker. */
  readonly pause: (duration: Duration.Duration) => Effect.Effect<void>
}

/**
 * The budget the client's requests take from, when provided.
 *
 * @since 0.2.0
 * @category tags
 */
export class MistralBudget extends Context.Tag("@effect-mistral/core/MistralBudget")<MistralBudget, Budget>() {}
