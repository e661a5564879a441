// The epoch control: step buttons, play/pause, slider, speed, and the loading progress of
// the epochs that playback needs.

import { el, setOptions, setText } from './dom.js';
import { icon } from './icons.js';
import { SPEEDS } from './settings.js';

export class Player {
  constructor({ onSeek, onStep, onToggle, onSpeed }) {
    const button = (name, label, role, onClick) =>
      el('button', { class: 'icon-button', type: 'button', title: label, 'aria-label': label, 'data-role': role, on: { click: onClick } }, icon(name));
    this.prev = button('prev', 'Previous epoch (←)', 'prev', () => onStep(-1));
    this.play = button('play', 'Play (space)', 'play', () => onToggle());
    this.next = button('next', 'Next epoch (→)', 'next', () => onStep(1));
    this.slider = el('input', { type: 'range', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'Epoch', 'data-role': 'epoch-slider' });
    this.slider.addEventListener('input', () => onSeek(Number(this.slider.value)));
    this.loaded = el('div', { class: 'loaded' });
    this.epochLabel = el('span', { class: 'epoch-value', 'data-role': 'epoch' });
    this.epochOf = el('span', { class: 'muted' });
    this.speed = el('select', { 'aria-label': 'Playback speed', 'data-role': 'speed', title: 'Playback speed' });
    setOptions(this.speed, SPEEDS.map((s) => [String(s), `${s} epoch${s === 1 ? '' : 's'}/s`]), '5');
    this.speed.addEventListener('change', () => onSpeed(Number(this.speed.value)));
    this.root = el(
      'div',
      { class: 'player', role: 'group', 'aria-label': 'Epoch' },
      el('div', { class: 'epoch-readout' }, el('span', { class: 'muted', text: 'Epoch' }), this.epochLabel, this.epochOf),
      this.prev,
      this.play,
      this.next,
      el('div', { class: 'slider-box' }, this.slider, el('div', { class: 'loaded-track' }, this.loaded)),
      this.speed,
    );
    this.playing = null;
  }

  setEpochs(epochs) {
    this.epochs = epochs;
    this.slider.max = String(Math.max(0, epochs.length - 1));
    this.root.classList.toggle('single', epochs.length < 2);
  }

  /** index into epochs; loadedFraction in [0, 1] of epochs ready for playback. */
  update({ index, playing, speed, loadedFraction }) {
    if (this.slider.value !== String(index)) this.slider.value = String(index);
    const epoch = this.epochs && this.epochs.length ? this.epochs[index] : null;
    setText(this.epochLabel, epoch === null ? '—' : epoch);
    setText(this.epochOf, this.epochs && this.epochs.length ? `${index + 1} of ${this.epochs.length}` : '');
    if (playing !== this.playing) {
      this.playing = playing;
      this.play.replaceChildren(icon(playing ? 'pause' : 'play'));
      const label = playing ? 'Pause (space)' : 'Play (space)';
      this.play.title = label;
      this.play.setAttribute('aria-label', label);
      this.play.setAttribute('aria-pressed', String(playing));
    }
    if (this.speed.value !== String(speed)) this.speed.value = String(speed);
    const width = `${Math.round(loadedFraction * 100)}%`;
    if (this.loaded.style.width !== width) this.loaded.style.width = width;
    const done = loadedFraction >= 1;
    if (this.loaded.parentElement.hidden !== done) this.loaded.parentElement.hidden = done;
  }
}
