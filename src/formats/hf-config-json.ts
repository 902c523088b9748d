/**
 * config.json text as transformers writes it: Python's json module keeps 30.0 a float, JavaScript's
 * JSON.stringify writes 30, and transformers 5 validates config fields by type — a float field given an
 * integer (`"final_logit_softcapping": 30`) refuses to load. So the float-typed fields a Gemma config can
 * hold are written with a decimal point wherever they occur (top level, text_config, rope_parameters).
 */
const FLOAT_FIELDS = new Set([
  "final_logit_softcapping", "attn_logit_softcapping", "rms_norm_eps", "rope_theta", "rope_local_base_freq",
  "partial_rotary_factor", "attention_dropout", "initializer_range", "factor", "beta_fast", "beta_slow",
  "attention_factor", "low_freq_factor", "high_freq_factor",
]);

const MARK = "\u0000float:";

export function stringifyHfConfig(config: unknown): string {
  const text = JSON.stringify(config, (key, value: unknown) =>
    FLOAT_FIELDS.has(key) && typeof value === "number" && Number.isInteger(value) ? `${MARK}${value}` : value, 2);
  return text.replace(/"\\u0000float:(-?\d+)"/g, "$1.0") + "\n";
}
