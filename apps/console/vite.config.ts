import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built to dist/, which the config-api serves at /console (HERALD_CONSOLE_DIR). Relative asset
// paths keep the build independent of where it is mounted.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
