import { execFile } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "main.js")

const { MISTRAL_API_KEY: _, ...withoutKey } = process.env

/** The built demo's `batch` subcommand with its output piped (not a terminal), stopped after 90 s. */
const runBatch = () =>
  new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve) => {
    execFile(process.execPath, [main, "batch"], { timeout: 90_000, env: withoutKey }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : (error.code as number | null), stdout, stderr })
    )
  })

describe("demo batch", () => {
  it("prints plain progress lines when its output is not a terminal: upload, job steps, results", async () => {
    const { code, stdout, stderr } = await runBatch()
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split("\n")
    // no redrawing on a pipe
    expect(stdout.includes("\r") || stdout.includes("\u001b[")).toBe(false)
    expect(lines[0]).toBe("Batch: 1000 chat requests, streamed into the upload, against the embedded emulator")
    const uploading = lines.filter((line) => line.startsWith("uploading: "))
    expect(uploading.length).toBeGreaterThan(1)
    expect(uploading.at(-1)).toMatch(/^uploading: 1000 requests, [\d.]+ KiB sent \([\d.]+ s\)$/)
    const uploadedAt = lines.findIndex((line) => line.startsWith("uploaded 1000 requests ("))
    expect(uploadedAt).toBe(uploading.length + 1)
    const jobs = lines.slice(uploadedAt + 1, -1)
    const counts = jobs.map((line) => {
      const match = /^job (\w+): (\d+)\/1000 done, (\d+) succeeded, 0 failed \([\d.]+ s\)$/.exec(line)
      expect(match, line).not.toBeNull()
      return [match![1], Number(match![2])] as const
    })
    // the embedded emulator runs 100 requests per poll
    expect(counts).toEqual([
      ["QUEUED", 0],
      ["RUNNING", 0],
      ...Array.from({ length: 9 }, (_, i) => ["RUNNING", (i + 1) * 100] as const),
      ["SUCCESS", 1000]
    ])
    expect(lines.at(-1)).toBe("results: 1000 read as they downloaded, 1000 succeeded")
  }, 120_000)
})
