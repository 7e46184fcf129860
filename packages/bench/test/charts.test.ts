import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { type Chart, formatTick, frame, parseChart, project, render, renderAll } from "../src/charts.js"

const chart: Chart = {
  id: "demo",
  title: "Throughput <against> concurrency & more",
  x: { label: "requests in flight", log: true },
  y: { label: "throughput", unit: "req/s" },
  series: [
    {
      name: "raw undici",
      points: [
        [1, 2_000],
        [10, 8_000],
        [100, 10_000],
        [1_000, 9_000]
      ]
    },
    {
      name: "effect-mistral",
      points: [
        [1000, 6_000],
        [1, 1_500],
        [10, 5_000]
      ]
    }
  ]
}

/** The pixel pairs of every `<polyline>`, in document order. */
const polylines = (svg: string): Array<Array<[number, number]>> =>
  [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((match) =>
    match[1]!.split(" ").map((pair) => pair.split(",").map(Number) as [number, number])
  )

describe("charts", () => {
  it("draw a well-formed SVG document: one root, balanced tags, text escaped", () => {
    const svg = render(chart)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true)
    expect(svg.match(/<svg\b/g)).toHaveLength(1)
    // every opened element is closed (self-closing or by its end tag), in order
    const stack: Array<string> = []
    for (const [tag, close, name, selfClose] of svg.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
      if (close === "/") expect(stack.pop(), tag).toBe(name)
      else if (selfClose !== "/") stack.push(name!)
    }
    expect(stack).toEqual([])
    expect(svg).toContain("Throughput &lt;against&gt; concurrency &amp; more")
    expect(svg).not.toContain("<against>")
    // the legend names every series, the axis titles carry the unit and the log scale
    expect(svg).toContain(">raw undici</text>")
    expect(svg).toContain(">effect-mistral</text>")
    expect(svg).toContain("throughput (req/s)")
    expect(svg).toContain("requests in flight — log scale")
  })

  it("map the points: a log x axis spaces the decades evenly, y grows upwards from zero", () => {
    const p = project(chart)
    expect(p.x(1)).toBeCloseTo(frame.left)
    expect(p.x(1_000)).toBeCloseTo(frame.right)
    const decade = (frame.right - frame.left) / 3
    expect(p.x(10)).toBeCloseTo(frame.left + decade)
    expect(p.x(100)).toBeCloseTo(frame.left + 2 * decade)
    expect(p.y(0)).toBeCloseTo(frame.bottom)
    expect(p.y(10_000)).toBeLessThan(p.y(5_000))
    expect(p.y(5_000)).toBeCloseTo((p.y(0) + p.y(10_000)) / 2)
    expect(p.yTicks[0]).toBe(0)
    expect(p.yTicks[p.yTicks.length - 1]).toBeGreaterThanOrEqual(10_000)
    expect(p.xTicks).toEqual([1, 10, 100, 1_000])

    const [raw, ours] = polylines(render(chart))
    expect(raw).toHaveLength(4)
    raw!.forEach(([x, y], i) => {
      const [dx, dy] = chart.series[0]!.points[i]!
      expect(x).toBeCloseTo(p.x(dx), 0)
      expect(y).toBeCloseTo(p.y(dy), 0)
    })
    // points are drawn in x order whatever their order in the file
    expect(ours!.map(([x]) => x)).toEqual([p.x(1), p.x(10), p.x(1_000)].map((x) => Math.round(x * 10) / 10))
    // and each has its marker
    expect(render(chart).match(/<circle /g)?.length).toBe(4 + 1)
  })

  it("a linear x axis is linear, and a log axis leaves out what it cannot place", () => {
    const linear: Chart = { ...chart, x: { label: "n" } }
    const p = project(linear)
    expect(p.x(500)).toBeCloseTo((p.x(0) + p.x(1_000)) / 2)
    const withZero: Chart = {
      ...chart,
      series: [
        {
          name: "a",
          points: [
            [0, 1],
            [1, 2],
            [10, 3]
          ]
        }
      ]
    }
    const [line] = polylines(render(withZero))
    expect(line).toHaveLength(2)
  })

  it("label ticks compactly", () => {
    expect(formatTick(1_000_000)).toBe("1M")
    expect(formatTick(10_000)).toBe("10k")
    expect(formatTick(2_500)).toBe("2.5k")
    expect(formatTick(256)).toBe("256")
    expect(formatTick(0.125)).toBe("0.125")
  })

  it("read the file format and say what is wrong with a bad file", () => {
    expect(parseChart(JSON.parse(JSON.stringify(chart)))).toEqual(chart)
    expect(() => parseChart({ ...chart, series: [{ name: "a", points: [[1]] }] }, "bad.json")).toThrow(
      /bad\.json: series\[0\] has a point that is not \[x, y\]/
    )
    expect(() => parseChart({ ...chart, x: { label: 3 } })).toThrow(/x\.label is not a string/)
  })

  it("draw every JSON file of a directory again, named after the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-charts-"))
    writeFileSync(join(dir, "batch-memory.json"), JSON.stringify({ ...chart, id: "batch-memory" }))
    writeFileSync(join(dir, "notes.txt"), "not a chart")
    expect(renderAll(dir)).toEqual([join(dir, "batch-memory.svg")])
    expect(readFileSync(join(dir, "batch-memory.svg"), "utf8")).toBe(render({ ...chart, id: "batch-memory" }))
  })
})
