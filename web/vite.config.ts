import { fileURLToPath, URL } from 'node:url'

import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

// The Python server the dev server forwards /api to; `zhike serve` listens on 8000 by default.
const apiTarget = process.env.ZHIKE_API_URL ?? 'http://127.0.0.1:8000'
// Served by FastAPI (zhike/api/spa.py) from zhike/web/static, which is build output and
// git-ignored. ZHIKE_WEB_BUILD_DIR builds elsewhere, e.g. for browser tests of a branch.
const outDir = process.env.ZHIKE_WEB_BUILD_DIR ?? fileURLToPath(new URL('../zhike/web/static', import.meta.url))

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks: {
          vue: ['vue', 'vue-router', 'pinia', 'vue-i18n'],
          'element-plus': ['element-plus', '@element-plus/icons-vue'],
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.spec.ts'],
  },
})
