// Colours of the current theme for what is drawn on canvases (charts, exports), read from
// the stylesheet's custom properties.

export function themeColors() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return {
    background: v('--tba-card') || '#fff',
    text: v('--tba-text') || '#212121',
    muted: v('--tba-muted') || '#616161',
    grid: v('--tba-border') || '#e0e0e0',
    current: v('--tba-accent') || '#f57c00',
    past: v('--tba-text') || '#212121',
    wrong: v('--tba-wrong') || '#d32f2f',
  };
}
