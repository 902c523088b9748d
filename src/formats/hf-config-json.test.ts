import { test } from "node:test";
import assert from "node:assert/strict";
import { stringifyHfConfig } from "./hf-config-json.js";

test("float-typed config fields keep a decimal point (transformers 5 rejects 30 for a float field)", () => {
  const text = stringifyHfConfig({
    final_logit_softcapping: 30, rms_norm_eps: 1e-6, attention_dropout: 0, hidden_size: 128, head_dim: 32,
    rope_parameters: { full_attention: { rope_theta: 1000000, partial_rotary_factor: 0.25 } },
    text_config: { attn_logit_softcapping: -50, initializer_range: 0.02, name: "final_logit_softcapping" },
  });
  assert.match(text, /"final_logit_softcapping": 30\.0,/);
  assert.match(text, /"attention_dropout": 0\.0,/);
  assert.match(text, /"rope_theta": 1000000\.0,/);
  assert.match(text, /"attn_logit_softcapping": -50\.0,/);
  assert.match(text, /"hidden_size": 128,/); // integer fields stay integers
  assert.match(text, /"rms_norm_eps": 0\.000001,/);
  assert.match(text, /"name": "final_logit_softcapping"/); // strings untouched
  const back = JSON.parse(text);
  assert.equal(back.final_logit_softcapping, 30);
  assert.equal(back.rope_parameters.full_attention.partial_rotary_factor, 0.25);
  assert.ok(text.endsWith("}\n"));
});
