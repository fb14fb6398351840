import type { Io } from './io.js';

/** A one-line progress indicator on stderr; silent when stderr is not a terminal or in CI. */
export function progress(io: Io, label: string): { update: (done: number, total: number, detail?: string) => void; done: () => void } {
  const enabled = io.stderrIsTty && !io.env.CI;
  let last = 0;
  return {
    update(done, total, detail) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 80 && done < total) return;
      last = now;
      io.stderr(`\r\u001b[2K${label} ${done}/${total}${detail ? ` ${detail}` : ''}`);
    },
    done() {
      if (enabled) io.stderr('\r\u001b[2K');
    },
  };
}
