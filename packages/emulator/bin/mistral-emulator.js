#!/usr/bin/env node
// Committed so that the bin exists on a fresh clone (pnpm links bins at install, before any build); the program
// itself is the built dist/bin.js.
import "../dist/bin.js"
