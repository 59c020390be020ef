// A suite's temporary directory (controller logs and the like). It is removed once every test of the
// suite has passed, and kept with its path printed when one did not, or none ran (a failed
// `before`), or IPAM_KEEP_TEST_DIRS is set: a failure's logs stay readable, and passing runs no
// longer leave a directory in /tmp each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ScratchDir {
  readonly path: string;
  #passed = 0;
  #failed = 0;

  constructor(prefix: string) {
    this.path = mkdtempSync(join(tmpdir(), prefix));
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /**
   * For `afterEach`: counts the outcome of the test that just ran (its context's `passed`, Node ≥
   * 20.12; without it nothing is counted and the directory is kept).
   */
  readonly noteOutcome = (t: object): void => {
    const { passed } = t as { passed?: unknown };
    if (passed === true) this.#passed++;
    else if (passed === false) this.#failed++;
  };

  /** For `after`, once nothing writes into the directory any more. */
  finish(): void {
    const keep = process.env.IPAM_KEEP_TEST_DIRS !== undefined && process.env.IPAM_KEEP_TEST_DIRS !== '';
    if (keep || this.#failed > 0 || this.#passed === 0) {
      console.log(`kept ${this.path} (${String(this.#failed)} failed, ${String(this.#passed)} passed)`);
      return;
    }
    rmSync(this.path, { recursive: true, force: true });
  }
}
