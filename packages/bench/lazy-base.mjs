await import("effect"); await import("@effect/platform/HttpClient")
