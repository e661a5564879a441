// The message line above the cards: errors (a failed request) and notices (not errors).

import { RouteError } from './api.js';
import { el, setText } from './dom.js';

export class Banner {
  constructor() {
    this.root = el('div', { class: 'banner', role: 'alert', hidden: true });
  }

  showError(error) {
    const text = error instanceof RouteError ? `The server answered ${error.status}: ${error.message}` : String(error.message || error);
    setText(this.root, text);
    this.root.classList.remove('notice');
    this.root.hidden = false;
  }

  hide() {
    this.root.hidden = true;
  }

  /** A message that is not an error (shown in the same place, without the error colour). */
  showNotice(text) {
    setText(this.root, text);
    this.root.classList.add('notice');
    this.root.hidden = false;
  }
}
