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
    // Libraries change less often than the app: separate files stay cached across releases.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes("node_modules")) return undefined;
          if (/[\\/]node_modules[\\/](antd|@ant-design|@rc-component|rc-[\w-]+|dayjs)[\\/]/.test(id))
            return "antd";
          if (/[\\/]node_modules[\\/](react|react-dom|react-router|scheduler)[\\/]/.test(id)) return "react";
          return "vendor";
        },
      },
    },
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
