/**
 * Run-loop steps are deterministic (no timing), so the request path's cost in fiber-runtime operations can be held
 * to a bound: a change that puts per-call machinery back (a fiber ref set for the call, a timeout fiber) or
 * per-chunk machinery into streams (`Stream.retry`, a timeout fiber per read) fails here.
 */
import { describe, expect, it } from "vitest"
import { measure } from "../src/steps.js"

describe("run-loop steps", () => {
  it("stay within bounds for a call and for streams", async () => {
    const steps = await measure(2_000)
    // measured: 29 per call; about 3,400 for a 20,000-event stream (about 35 per network chunk)
    expect(steps.call).toBeLessThanOrEqual(40)
    expect(steps.conversationStream).toBeLessThanOrEqual(2_000)
    expect(steps.chatStream).toBeLessThanOrEqual(2_000)
    // and not per event: a stream ten times longer costs far less than ten times the steps
    const longer = await measure(20_000)
    expect(longer.conversationStream).toBeLessThan(steps.conversationStream * 5)
  }, 60_000)
})
