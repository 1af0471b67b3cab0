import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The playground is static files served by `assistd serve` at `/`; relative asset paths keep it working behind a
// path prefix too. Preact's JSX runtime replaces a framework plugin.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
});
