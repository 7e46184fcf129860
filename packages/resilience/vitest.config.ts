import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "faults",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.load.test.ts"],
          testTimeout: 30_000
        }
      },
      {
        test: {
          name: "load",
          include: ["test/**/*.load.test.ts"],
          testTimeout: 120_000,
          // one fork of its own, so the heap and the resource counts see only this suite
          pool: "forks",
          poolOptions: { forks: { singleFork: true } }
        }
      }
    ]
  }
})
