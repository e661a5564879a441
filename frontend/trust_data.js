// Can the map be trusted? The checks an IG record may carry (format.md, "Trust"), as data:
// faithfulness curves, stability against the previous written epoch, and the sanity check by
// model randomisation. Pure: no DOM.

/** Above this, a map correlates with the randomised model's "highly" (the dashboard warns). */
export const HIGH_SANITY = 0.5;
/** A map has settled from the epoch after which its stability stays above this. */
export const SETTLED = 0.9;

const scalar = (a) => (a && a.data && a.data.length ? a.data[0] : NaN);
const vector = (a) => (a && a.data ? Array.from(a.data) : null);

/** An example record's checks, or null when it has none (older logs, checks turned off). */
export function trustOf(rec) {
  const a = rec.arrays;
  const curves = a.deletion && a.insertion && a.random_order && a.fractions;
  const stability = scalar(a.stability);
  const sanity = scalar(a.sanity);
  if (!curves && !a.stability && !a.sanity) return null;
  return {
    fractions: curves ? vector(a.fractions) : null,
    deletion: curves ? vector(a.deletion) : null,
    insertion: curves ? vector(a.insertion) : null,
    random: curves ? vector(a.random_order) : null,
    deletionAuc: scalar(a.deletion_auc),
    insertionAuc: scalar(a.insertion_auc),
    randomAuc: scalar(a.random_auc),
    stability,
    sanity: a.sanity ? sanity : null,
    sanityLayer: typeof rec.fields.sanity_layer === 'string' ? rec.fields.sanity_layer : null,
  };
}

/** An IG digest's per-example checks ([N] arrays), or null. */
export function trustDigestOf(rec) {
  const a = rec.arrays;
  if (!a.stability && !a.sanity && !a.deletion_auc) return null;
  return {
    stability: vector(a.stability),
    sanity: vector(a.sanity),
    deletionAuc: vector(a.deletion_auc),
    insertionAuc: vector(a.insertion_auc),
    randomAuc: vector(a.random_auc),
    sanityLayer: typeof rec.fields.sanity_layer === 'string' ? rec.fields.sanity_layer : null,
  };
}

/**
 * The epoch from which `values` (one per epoch of `epochs`, ascending) stay above
 * `threshold` to the end; null when the last is not (NaN counts as not above).
 */
export function settledEpoch(epochs, values, threshold = SETTLED) {
  let settled = null;
  epochs.forEach((epoch, i) => {
    const v = values[i];
    if (Number.isFinite(v) && v > threshold) settled = settled === null ? epoch : settled;
    else settled = null;
  });
  return settled;
}

/**
 * Per example of the probe: {settled, last} from the gallery's IG digests (Map epoch ->
 * digest with `trust`) up to and including `upTo` (all epochs when undefined): the settled
 * epoch and the newest stability.
 */
export function stabilityByExample(igDigests, count, upTo) {
  const epochs = [...igDigests.keys()].filter((e) => upTo === undefined || e <= upTo).sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < count; i++) {
    const values = epochs.map((e) => {
      const t = igDigests.get(e) && igDigests.get(e).trust;
      return t && t.stability ? t.stability[i] : NaN;
    });
    out.push({ settled: settledEpoch(epochs, values), last: values.length ? values[values.length - 1] : NaN });
  }
  return out;
}

/**
 * Example indices ordered for the gallery: "changing" puts the examples still changing first
 * (never settled, then settled latest), ties in probe order; "probe" keeps the probe's order.
 */
export function galleryOrder(stability, order) {
  const indices = stability.map((_, i) => i);
  if (order !== 'changing') return indices;
  const key = (s) => (s.settled === null ? Infinity : s.settled);
  return indices.sort((a, b) => key(stability[b]) - key(stability[a]) || a - b);
}

/** The newest sanity check at or before `epoch` in the gallery digests: {epoch, values, layer}. */
export function latestSanity(igDigests, epoch) {
  let best = null;
  for (const [e, d] of igDigests) {
    if (epoch !== undefined && e > epoch) continue;
    if (d && d.trust && d.trust.sanity && (best === null || e > best.epoch)) best = { epoch: e, values: d.trust.sanity, layer: d.trust.sanityLayer };
  }
  return best;
}

/** The run's notice for a sanity check with high correlations, or null. */
export function sanityNotice(check) {
  if (!check) return null;
  const high = check.values.filter((v) => Number.isFinite(v) && v >= HIGH_SANITY).length;
  if (!high) return null;
  const layer = check.layer ? ` '${check.layer}'` : '';
  return (
    `Sanity check at epoch ${check.epoch}: for ${high} of ${check.values.length} probe examples the map barely changes ` +
    `when the top layer${layer} is re-initialised (Spearman ρ ≥ ${HIGH_SANITY}): those maps show the input more than what the model learned.`
  );
}
