import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"

const dist = Path.join(import.meta.dirname, "..", "dist")
const examples = Fs.readdirSync(Path.join(import.meta.dirname, "..", "src")).filter((name) => name.endsWith(".ts"))

/** Runs a built example against the emulator: what it prints, and how it ends. */
const run = (name: string, env: Record<string, string>) =>
  Effect.async<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const child = ChildProcess.execFile(
      process.execPath,
      [Path.join(dist, name.replace(/\.ts$/, ".js"))],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resume(Effect.succeed({ code: error === null ? 0 : (error.code as number | null), stdout, stderr }))
    )
    return Effect.sync(() => child.kill())
  })

const expected: Record<string, ReadonlyArray<RegExp>> = {
  "quick-start.ts": [/^models: .*mistral-small-latest/m, /^reply: .*Say hello in French/m],
  "structured-output.ts": [/^chat: \S.* \(1\) by /m, /^conversation \S+: /m, /^streamed: /m],
  "streaming.ts": [/Tell me a short story/, /^collected: .*And another/m],
  "tools.ts": [/^tool: get_weather\(Paris\)$/m, /^answer: The result of get_weather is .*sunny/m]
}

describe("the README's examples against the emulator", () => {
  it("every example is listed here", () => {
    expect([...examples].sort()).toEqual(Object.keys(expected).sort())
  })

  for (const name of examples) {
    it.scoped(name, () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.make({ apiKey: "sk-examples" })
        const result = yield* run(name, { MISTRAL_API_KEY: "sk-examples", MISTRAL_BASE_URL: emulator.url })
        expect(result.stderr).toBe("")
        expect(result.code).toBe(0)
        for (const pattern of expected[name] ?? []) expect(result.stdout).toMatch(pattern)
      })
    )
  }

  it.effect(
    "a missing key ends the example at once with the hint (NodeRuntime.runMain reports it) and exit code 1",
    () =>
      Effect.gen(function* () {
        const result = yield* run("quick-start.ts", {})
        expect(result.code).toBe(1)
        expect(result.stdout + result.stderr).toContain(
          "MISTRAL_API_KEY (option apiKey) is missing. Set MISTRAL_API_KEY"
        )
      })
  )
})
