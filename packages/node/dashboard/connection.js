// Keeps one live EventSource to some node of the cluster. Starts with the node that served the
// page; when that stream errors or goes quiet, moves by itself to another node that answers
// (the admin URLs come from the frames), so a failover can be watched without a reload.

/** Frames arrive at least once a second; this long without one means the node is gone. */
const QUIET_MS = 4500;
/** How long a candidate gets to deliver its first frame. */
const FIRST_FRAME_MS = 3000;

export class Connection {
  /**
   * @param {object} o
   * @param {string} o.start           base URL to try first (the page's origin)
   * @param {(frame: object, base: string) => void} o.onFrame
   * @param {(state: {kind: string, base: string, detail?: string}) => void} o.onState
   */
  constructor(o) {
    this.o = o;
    this.known = [o.start];
    this.base = o.start;
    this.es = null;
    this.lastFrameAt = 0;
    this.queue = [];
    this.round = 0;
    this.firstTimer = 0;
    this.retryTimer = 0;
    setInterval(() => this.#watchdog(), 1000);
  }

  /** Admin URLs learnt from a frame, in the order to try them (nodes that answered first). */
  learn(urls) {
    this.known = [...new Set([...urls.filter(Boolean), ...this.known])];
  }

  start() {
    this.#open(this.base);
  }

  get connected() {
    return this.es !== null && this.lastFrameAt > 0;
  }

  #open(base) {
    this.#closeStream();
    this.base = base;
    this.lastFrameAt = 0;
    this.o.onState({ kind: 'connecting', base });
    let es;
    try {
      es = new EventSource(`${base}/events`);
    } catch (err) {
      this.#fail(base, String(err));
      return;
    }
    this.es = es;
    this.firstTimer = setTimeout(() => {
      if (this.es === es && this.lastFrameAt === 0) this.#fail(base, 'no frame in time');
    }, FIRST_FRAME_MS);
    es.addEventListener('cluster', (ev) => {
      if (this.es !== es) return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (this.lastFrameAt === 0) {
        clearTimeout(this.firstTimer);
        this.round = 0;
        this.queue = [];
        this.o.onState({ kind: 'connected', base, detail: frame.node });
      }
      this.lastFrameAt = Date.now();
      this.o.onFrame(frame, base);
    });
    es.onerror = () => {
      if (this.es === es) this.#fail(base, 'stream closed');
    };
  }

  #closeStream() {
    clearTimeout(this.firstTimer);
    if (this.es) this.es.close();
    this.es = null;
  }

  #watchdog() {
    if (this.es && this.lastFrameAt > 0 && Date.now() - this.lastFrameAt > QUIET_MS)
      this.#fail(this.base, 'no frame for a while');
  }

  /** Moves on to the next candidate; after a full round without luck, waits a little longer. */
  #fail(base, why) {
    this.#closeStream();
    this.o.onState({ kind: 'lost', base, detail: why });
    if (this.queue.length === 0) {
      // Every other known node first, the one that failed last.
      this.queue = [...this.known.filter((u) => u !== base), base];
      this.round++;
    }
    const next = this.queue.shift();
    const delay = this.round <= 1 ? 150 : Math.min(5000, 500 * this.round);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.#open(next), delay);
  }
}
