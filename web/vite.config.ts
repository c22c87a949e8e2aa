/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The FastAPI server runs on :8000 during development; in production it serves
// web/dist itself, so the app always talks to its own origin.
const API_TARGET = process.env.LABSHARE_API_URL ?? "http://127.0.0.1:8000";
const proxied = { target: API_TARGET, changeOrigin: false };

export default defineConfig({
  base: "/",
  plugins: [react()],
  server: {
    proxy: {
      "/api": proxied,
      "/healthz": proxied,
      "/readyz": proxied,
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    testTimeout: 60_000,
  },
});
