/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Django serves the build from spa/dist under /static/ (whitenoise) and answers
// every client-side route with dist/index.html, so built asset URLs must be
// absolute under /static/. The dev server serves the app at / like Django does.
const backend = process.env.VITE_BACKEND ?? 'http://127.0.0.1:8000';
// changeOrigin stays false so the Host header (acme.localhost:5173) reaches
// django-tenants and selects the tenant schema.
const proxied = { target: backend, changeOrigin: false };

export default defineConfig(({ command }) => ({
  base: command === 'build' ? '/static/' : '/',
  plugins: [react()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    host: true,
    allowedHosts: ['.localhost'],
    proxy: {
      '/api': proxied,
      '/healthz': proxied,
      '/readyz': proxied,
      '/admin': proxied,
    },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/testing/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    restoreMocks: true,
    // Whole-app renders on a busy 2-core CI machine: generous, but still bounded.
    testTimeout: 20_000,
  },
}));
