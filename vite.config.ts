import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Open a browser on `npm start` only where there is a desktop to open it on
// (not in CI, not on a headless Linux box).
const canOpenBrowser =
  !process.env.CI && (process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY);

// Fixed ports so README, Playwright and humans agree on the URLs;
// strictPort fails loudly instead of silently moving to another port.
export default defineConfig({
  plugins: [react()],
  server: { port: 5173, strictPort: true, open: canOpenBrowser },
  preview: { port: 4173, strictPort: true },
});
