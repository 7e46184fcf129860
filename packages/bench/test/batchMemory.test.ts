import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
// the built file: the measurement forks itself as the emulator and measuring processes, which Node runs as JavaScript
import { measure } from "../dist/batchMemory.js"

describe("batch memory measurement", () => {
  it("measures tiny batches in fresh processes and writes the chart file in its format", async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "batch-memory-")), "batch-memory.json")
    const lines: Array<string> = []
    const report = await measure({ sizes: [20, 200], runs: 1, out, log: (line) => lines.push(line) })
    // each size with the default heap, then with a capped one
    expect(report.runs.map((run) => [run.requests, run.results])).toEqual([
      [20, 20],
      [20, 20],
      [200, 200],
      [200, 200]
    ])
    for (const run of report.runs) {
      expect(run.baselineMb).toBeGreaterThan(10)
      expect(run.peakMb).toBeGreaterThanOrEqual(run.baselineMb)
      expect(run.growthMb).toBeCloseTo(run.peakMb - run.baselineMb, 0)
      // a tiny batch needs next to nothing over the baseline
      expect(run.growthMb).toBeLessThan(100)
    }
    const chart = JSON.parse(fs.readFileSync(out, "utf8"))
    expect(chart).toEqual({
      id: "batch-memory",
      title: "Batch.run peak RSS growth vs requests",
      x: { label: "requests", log: true },
      y: { label: "peak RSS growth", unit: "MB" },
      series: [
        { name: "effect-mistral Batch.run", points: report.medians.map(([x, y]) => [x, y]) },
        { name: "the same, V8 heap capped (old space 64 MB)", points: expect.any(Array) }
      ]
    })
    expect(chart.series[1].points.map(([x]: [number]) => x)).toEqual([20, 200])
    expect(chart.series[0].points.map(([x]: [number]) => x)).toEqual([20, 200])
    expect(lines.some((line) => line.startsWith("| 200 | default | "))).toBe(true)
    expect(lines.some((line) => line.startsWith("| 200 | --max-old-space-size=64"))).toBe(true)
  }, 120_000)
})
