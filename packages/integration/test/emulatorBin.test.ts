import * as ChildProcess from "node:child_process"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { describe, expect, it } from "@effect/vitest"

/** The bin as the package declares it (the committed shim over dist/bin.js). */
const require = createRequire(import.meta.url)
const packageJson = Path.join(Path.dirname(require.resolve("@effect-mistral/emulator")), "..", "package.json")
const bin = Path.join(
  Path.dirname(packageJson),
  (require(packageJson) as { bin: Record<string, string> }).bin["mistral-emulator"] as string
)

const run = (args: ReadonlyArray<string>) =>
  // generous: on a loaded machine a fresh process loading the emulator can take several seconds
  ChildProcess.spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000 })

describe("the mistral-emulator bin", () => {
  it("--help lists every flag", () => {
    const result = run(["--help"])
    expect(result.status).toBe(0)
    for (const flag of ["--port", "--host", "--api-key", "--requests-per-second", "--tokens-per-minute"]) {
      expect(result.stdout).toContain(flag)
    }
  }, 60_000)

  it("an unknown flag or a bad value is one readable line and exit code 2, no stack", () => {
    const outputs = new Map<string, { readonly stdout: string; readonly stderr: string }>()
    for (const args of [["--bogus"], ["--port", "abc"], ["--port", "70000"], ["--tokens-per-minute", "m=x"]]) {
      const result = run(args)
      const output = result.stdout + result.stderr
      expect(result.status, args.join(" ")).toBe(2)
      expect(output).not.toMatch(/\n\s+at /)
      expect(output).not.toContain("ERR_PARSE_ARGS")
      outputs.set(args.join(" "), result)
    }
    const bogus = outputs.get("--bogus")
    expect((bogus?.stdout ?? "") + (bogus?.stderr ?? "")).toContain("--bogus")
    expect(outputs.get("--port 70000")?.stderr).toContain("--port must be an integer from 0 to 65535")
  }, 240_000)

  it("serves with the rate-limit flags", async () => {
    const child = ChildProcess.spawn(process.execPath, [
      bin,
      "--port",
      "0",
      "--requests-per-second",
      "1000",
      "--tokens-per-minute",
      "*=100000"
    ])
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ""
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString()
          const match = /listening on (http:\/\/\S+)/.exec(out)
          if (match?.[1] !== undefined) resolve(match[1])
        })
        child.on("exit", (code) => reject(new Error(`exited ${code}`)))
      })
      const answer = await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer sk-bin" } })
      expect(answer.status).toBe(200)
      expect(((await answer.json()) as { object: string }).object).toBe("list")
    } finally {
      child.kill("SIGINT")
    }
  })
})
