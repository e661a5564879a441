// Time: which epoch is shown, stepping and seeking, and playback at a speed, driving the
// dashboard's render through callbacks. Knows nothing of the data or of how a frame is drawn.

export class Playback {
  /**
   * epochs(): the run's epochs; speed(): epochs per second; isReady(epoch): its data is here;
   * request(epoch): start loading it; onSeek(): the epoch was chosen (slider, keys, buttons);
   * onFrame(): playback advanced one epoch; onStart(): playback begins (load every epoch);
   * onPlayingChange(playing). raf and now default to the browser's frame clock.
   */
  constructor({ epochs, speed, isReady, request, onSeek, onFrame, onStart, onPlayingChange, raf, now }) {
    this.epochs = epochs;
    this.speed = speed;
    this.isReady = isReady;
    this.request = request;
    this.onSeek = onSeek;
    this.onFrame = onFrame;
    this.onStart = onStart;
    this.onPlayingChange = onPlayingChange;
    this.raf = raf || ((fn) => requestAnimationFrame(fn));
    this.now = now || (() => performance.now());
    this.index = 0; // into epochs()
    this.playing = false;
    this.lastAdvance = 0;
  }

  /** The epoch shown, or null when the run has none. */
  current() {
    const epochs = this.epochs();
    return epochs.length ? epochs[this.index] : null;
  }

  seek(index) {
    const epochs = this.epochs();
    if (!epochs.length) return;
    this.index = Math.max(0, Math.min(epochs.length - 1, index));
    this.onSeek();
  }

  step(delta) {
    if (!this.epochs().length) return;
    this.stop();
    this.seek(this.index + delta);
  }

  toggle() {
    if (this.playing) {
      this.stop();
      return;
    }
    const epochs = this.epochs();
    if (!epochs || epochs.length < 2) return;
    this.playing = true;
    if (this.index >= epochs.length - 1) this.seek(0);
    this.onStart();
    this.lastAdvance = this.now();
    this.onPlayingChange(true);
    this.raf((t) => this.tick(t));
  }

  stop() {
    if (!this.playing) return;
    this.playing = false;
    this.onPlayingChange(false);
  }

  /** One animation frame of playback: advance when the interval has passed and data is here. */
  tick(now) {
    if (!this.playing) return;
    const interval = 1000 / Number(this.speed());
    // A couple of milliseconds of slack so that 60 epochs/s keeps pace with 60 Hz frames.
    if (now - this.lastAdvance >= interval - 2) {
      const epochs = this.epochs();
      const next = (this.index + 1) % epochs.length;
      const epoch = epochs[next];
      if (this.isReady(epoch)) {
        this.index = next;
        this.lastAdvance = now - Math.min(interval, Math.max(0, now - this.lastAdvance - interval));
        this.onFrame();
      } else {
        this.request(epoch);
      }
    }
    this.raf((t) => this.tick(t));
  }
}

/**
 * The dashboard's keyboard: arrows step, Home / End seek to the ends, space plays and pauses,
 * except while a control needs the key for itself. `enabled()` says whether a run is open.
 */
export function bindPlaybackKeys(target, playback, enabled) {
  target.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || !enabled()) return;
    const tag = event.target && event.target.tagName;
    // Keys that the focused control needs for itself: choosing in a <select>, editing text.
    const textual = tag === 'INPUT' && !['range', 'checkbox', 'radio', 'button'].includes(event.target.type);
    if (tag === 'SELECT' || tag === 'TEXTAREA' || textual) return;
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      event.preventDefault();
      playback.step(event.key === 'ArrowLeft' ? -1 : 1);
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      playback.seek(event.key === 'Home' ? 0 : playback.epochs().length - 1);
    } else if (event.key === ' ' && tag !== 'BUTTON') {
      event.preventDefault();
      playback.toggle();
    }
  });
}
